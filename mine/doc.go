// Package mine is the whole pipeline behind `hardneg mine`: read the inputs,
// scan every anchor against every term, choose negatives, shuffle and split,
// and write the outputs into place atomically. The CLI is one user of it; a
// program can call Run with a Config of its own.
//
// A run can also be split across machines by anchor: RunShard scans one
// shard's anchors against the whole term matrix and writes a shard file,
// and Merge turns the shard files into the same outputs Run writes. Run and
// Merge share the finishing phase (quotas, choice, split, writers, commit).
//
// Data flow, one package per step:
//
//	vocab (terms, pairs → anchors) ─┐
//	npy (embeddings) → normalise ───┴→ scan (band counts + bottom-k samples)
//	  → sample (quotas, choice) → split (shuffle, train/validation)
//	  → hfds + output (save_to_disk, JSONL, stats) → staging → rename into place
//
// Invariants: the output depends only on the inputs and Config (not on
// Threads, timing or map order); nothing in the output folder changes unless
// the whole run succeeds; no anchors × terms matrix is ever held.
package mine
