// Package source reads the inputs of a mining run into one Problem: the
// queries, the corpus, and the positives that link queries to corpus items.
//
// Two readers build it. The synonym job's three files (a term list, synonym
// pairs and a term embedding matrix) give a problem whose queries and corpus
// are the same term list, with every pair linked both ways
// (ReadSynonyms). The BEIR layout, the IR field's common format (a corpus
// and queries as JSONL and judgements as a qrels TSV), gives queries and a
// corpus of their own (ReadBEIR). Embedding matrices are opened here, checked
// against the texts they embed, and loaded as unit rows for the scan
// (OpenEmbeddings, Embeddings.LoadRange and LoadRows).
//
// Readers refuse bad input with an error that names the file and the line,
// row or byte, and wraps one of the sentinels below. The package does not
// decide which items are negatives: packages guard, scan and choose do.
package source

// The file names the upstream synonym pipeline writes, and that a data
// directory is expected to hold.
const (
	PairsFile      = "filtered_synonym_pairs.jsonl"
	EmbeddingsFile = "term_embeddings.npy"
	TermsFile      = "term_list.json"
)
