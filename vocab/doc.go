// Package vocab reads the text inputs of a mining run: the term list and the
// synonym pairs. It builds the anchors, each with its positives, in the order
// the pairs file first names them.
//
// It does not read embeddings (package npy does) and it does not decide which
// terms are negatives (packages scan and sample do).
package vocab

// The file names the upstream pipeline writes, and that a data directory is
// expected to hold.
const (
	PairsFile      = "filtered_synonym_pairs.jsonl"
	EmbeddingsFile = "term_embeddings.npy"
	TermsFile      = "term_list.json"
)
