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
// matrices plus one small tile per worker, and under the screen (below)
// int16 copies of the anchors and of a part of the corpus at a time.
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
// # The screen
//
// Where it pays (the assembly kernels, at most 16 bands) and unless
// Options.Exact is set, the scan screens: it quantises the anchors and
// each part of the corpus to int16 once, computes every pair's similarity
// s̃ from them with kernel.ScreenBlock, and bounds its distance to the
// float32 similarity s by ε (kernel.ScreenBound, derived in
// internal/kernel/SCREEN.md). A pair is computed in float32 as well
// (re-checked, with kernel.DotPairs, which gives Dots's bits) only when s̃ is within ε
// of a threshold that decides something for its anchor: a band edge, a
// ceiling or floor, the near-duplicate floor, the entry threshold of a
// top sample or rank window, or, for SimANS, a score low enough to enter
// the sample. Every other comparison is decided by s̃ and gives the exact
// answer. The contract:
//
//   - The results are those of the exact scan, bit for bit: counts,
//     picks, windows and dropped counts. Every similarity stored in a
//     result is the float32 value, never s̃. A random sample's entrant
//     may wait for its value until the end of the Feed, since the sample
//     orders by key; only the entrants that survive are computed.
//   - A row the bound cannot cover (RowBound.Err = +Inf) has all its
//     pairs re-checked.
//   - Options.Exact, ForceScreen and the parts a Feed is cut into change
//     only which pairs are re-checked (ScreenStats), never a result.
//
// The scan does not decide quotas or labels; package choose does.
package scan
