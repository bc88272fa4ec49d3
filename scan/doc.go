// Package scan finds, for each anchor, how many candidates fall in each
// similarity band and a small uniform random sample of them, in one streaming
// pass over the candidate matrix.
//
// The scan is exact: similarities are float32 dot products of unit rows,
// computed by package internal/kernel in a fixed order. It is blocked: a
// block of anchors is held while tiles of candidates stream past, and each
// tile of similarities is classified into bands while it is still in cache,
// so no anchors × candidates matrix is ever stored. Memory is the two
// matrices plus one small tile per worker.
//
// Sampling is bottom-k: every candidate gets a pseudo-random key from the
// anchor's seed and the candidate's identity, and each band keeps the Keep
// candidates with the smallest keys. Those are a uniform random sample of the
// band, independent of the order in which candidates are seen, so the result
// does not depend on tiles, threads or shards. The first q of them, by key,
// are a uniform random sample of size q, which is all that package sample
// needs to fill any quota up to Keep.
//
// The scan does not decide quotas or labels; package sample does.
package scan
