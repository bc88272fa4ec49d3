// Package arrowcheck lets Go tests read hardneg's outputs with implementations
// other than the arrow-go that wrote them: a HuggingFace save_to_disk split
// with the npm apache-arrow package (Read, run under node by
// tools/arrowcheck/dump.mjs), and Parquet files with the npm hyparquet package
// (ReadParquet, by tools/arrowcheck/dump-parquet.mjs). A writer and a reader
// from the same library can agree on a mistake; a second implementation
// catches it.
//
// It is for tests only. It needs node (20 or later) and the tool's
// dependencies, installed from the repository root with
//
//	npm ci --prefix tools/arrowcheck
//
// Without them Read and ReadParquet skip the test, unless the environment
// variable HARDNEG_ARROWCHECK=required is set (CI sets it), in which case the
// test fails.
package arrowcheck
