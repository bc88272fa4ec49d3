// Package format holds the output formats, one file each: triplet (the
// notebook's), n-tuple, labeled-pair and labeled-list (sentence-transformers'
// mine_hard_negatives formats) and flagembedding (FlagEmbedding's
// fine-tuning JSONL). A format turns the chosen rows of one split into one
// table of named, typed columns; the JSONL writer and the HuggingFace and
// Parquet writers all write that same table, so the columns agree in every
// output by construction.
//
// Each format also names its files and says whether its rows gather an
// anchor's negatives (then a split must keep whole anchors on one side).
package format
