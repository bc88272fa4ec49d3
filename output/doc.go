// Package output writes what a run leaves behind: JSON spelled the way
// Python's json.dumps(..., ensure_ascii=False) spells it (separators,
// escapes and floats), so that a file written by hardneg and one written by
// the notebook can be compared with diff, and the staged commit that moves
// a run's outputs into place all at once. The commit is journaled and its
// staging folder locked by its owner, so that Recover can finish a commit
// that a crash cut short and clean up after runs that were killed, without
// touching a live run's files.
//
// The formats' columns are package format; the save_to_disk layout is
// package hfds.
package output
