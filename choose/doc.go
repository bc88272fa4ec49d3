// Package choose decides each anchor's negatives from what the scan kept:
// which candidates are eligible (similarity bands, a rank window), how many
// negatives each band supplies (the quotas) and which candidates they are
// (in the sampling's order of preference).
//
// Two quota modes:
//
//   - Notebook reproduces the original notebook: int(n·ratio) for every band
//     but the last, the rest to the last band, and when a band is short the
//     gap is filled with the best of what is left in all bands (for random
//     sampling, a uniform draw). With the default 5 negatives and
//     0.33/0.33/0.34 that is 1/1/3, and since the fill mostly lands in the
//     largest (easiest) band, the achieved mix drifts far from the target.
//   - Balanced meets the ratios over the whole data set. Anchors are visited
//     in a fixed order and each slot goes to the band furthest below its
//     target so far (counting triplets, so an anchor with many positives
//     weighs more); a band without candidates for an anchor passes its slot
//     to whichever band is then furthest behind, which spreads a shortfall
//     over the other bands in proportion to their ratios.
//
// A run without bands has one band that holds every similarity (AllBand).
// Randomness lives in the scan's sampling keys, so this package is
// deterministic arithmetic.
package choose
