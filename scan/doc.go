// Package scan computes, for each anchor (a query), what the choice of its
// negatives needs from the whole corpus, in one streaming pass over the
// corpus matrix: how many candidates fall in each similarity band, a small
// ordered sample of each band, and, for rank windows, the most similar
// candidates.
//
// The scan is exact: similarities are float32 dot products of unit rows,
// computed by package internal/kernel in a fixed order. It is blocked: a
// block of anchors is held while tiles of candidates stream past, and each
// tile of similarities is filtered and classified while it is still in
// cache, so no anchors × candidates matrix is ever stored. Memory is the two
// matrices plus one small tile per worker.
//
// Per tile, in this order: excluded candidates (positives, the anchor
// itself, guard exclusions) are dropped; then near-duplicates of a
// positive; then candidates outside the anchor's score limits (ceiling and
// floor); what remains is counted into bands and offered to the samples.
//
// Samples are order-free. Random sampling is bottom-k: every candidate gets
// a pseudo-random key from the anchor's seed and the candidate's identity,
// and each band keeps the Keep candidates with the smallest keys, a uniform
// random sample whatever the order candidates arrive in. Top sampling keeps
// the most similar, SimANS the smallest SimANS scores (a weighted sample
// without replacement, keyed the same way), and a window the Window most
// similar candidates of all. Ties go by key, then row. So results do not
// depend on tiles, threads or shards.
//
// The scan does not decide quotas or labels; package choose does.
package scan
