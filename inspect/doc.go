// Package inspect calibrates similarity bands before a long run: it looks at
// a deterministic sample of anchors, computes the exact cosine similarity of
// each to every term, as package scan would, and reports how the
// similarities are spread, how many candidates each band would offer, how
// often a band falls short of its quota, and what a positive-aware ceiling
// on negatives would remove.
//
// It reads the same three inputs as package mine, with the same readers, and
// draws the same conclusions about candidates: the anchor and its positives
// are never candidates, bands are half-open [Lo, Hi), and similarities are
// float32 dot products of rows scaled to unit length in float64. A pool it
// reports for an anchor is the pool a mining run with the same bands would
// count for that anchor.
//
// It writes nothing and keeps no similarity matrix: the embeddings stream
// past the sampled anchors one chunk of rows at a time.
//
// It is not a miner: it samples no negatives and sets no quotas.
package inspect
