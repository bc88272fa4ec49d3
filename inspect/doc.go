// Package inspect calibrates a run before it is made: it looks at a
// deterministic sample of anchors, computes the exact cosine similarity of
// each to every candidate, as a run would, and reports how the
// similarities are spread, how many candidates each band would offer, how
// often a band falls short of its quota, where the positives lie, and what
// the score limits would remove.
//
// It is built from the pipeline's own parts: mine.Prepare reads, loads and
// guards the inputs (either job), mine.AnchorSeed picks the sample, and
// the scan counts the candidates with the run's own query (exclusions,
// near-duplicates, limits), over a partition of the similarity line into
// the histogram's bins and the bands. A pool it reports for an anchor is
// the pool a mining run with the same settings would count for that anchor.
//
// It writes nothing. It is not a miner: it samples no negatives, sets no
// quotas and ignores rank windows.
package inspect
