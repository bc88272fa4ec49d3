// Package arrowcheck lets Go tests read a HuggingFace save_to_disk split with
// an Arrow implementation other than arrow-go: the npm apache-arrow package,
// run under node by tools/arrowcheck/dump.mjs. A writer and a reader from the
// same library can agree on a mistake; a second implementation catches it.
//
// It is for tests only. It needs node (20 or later) and the tool's
// dependencies, installed from the repository root with
//
//	npm ci --prefix tools/arrowcheck
//
// Without them Read skips the test, unless the environment variable
// HARDNEG_ARROWCHECK=required is set (CI sets it), in which case the test
// fails.
package arrowcheck
