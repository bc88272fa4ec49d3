// Package output writes the triplets as JSON Lines and as HuggingFace tables,
// and writes JSON documents such as the stats file.
//
// JSON is written the way Python's json.dumps(..., ensure_ascii=False)
// writes it, separators, escapes and float spelling included, so that a file
// written by hardneg and one written by the notebook can be compared with
// diff. The save_to_disk layout itself is package hfds.
package output
