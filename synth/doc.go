// Package synth writes a synthetic data set shaped like the one the upstream
// pipeline hands to hardneg: a term list, an embedding matrix and a file of
// synonym pairs, under the file names in package source.
//
// It exists so that the CLI's demo, the end-to-end tests and the benchmarks
// have inputs with the statistics that matter to mining, at any size up to
// and beyond the real 150,000 x 1024, without shipping the real data:
//
//   - random pairs of terms have a cosine near 0.3, about half of them in the
//     easy band [0.3, 0.5) and most of the rest just below it;
//   - topics and sub-clusters of varied size and tightness fill the medium
//     [0.5, 0.7) and hard [0.7, 0.9) bands for some anchors and leave them
//     empty for others;
//   - synonym groups of 2 to 10 terms are highly similar, give about 2.5
//     positives per anchor, are listed in one or both directions, and a few
//     pairs name a term that is not in the term list;
//   - rows are not unit length, terms mix Hangul, Hanja, Latin and
//     multi-word strings, and the pairs file has a few blank lines.
//
// A share of the synonyms (Config.HeldOut, 0.1 in DefaultConfig) is held
// out: left out of the pairs file and written to HeldOutFile instead, as
// ground truth for counting false negatives, the true synonyms that mining
// takes for negatives because no pair lists them. They are of two kinds, a
// group's edge that its other edges bridge, and a group member left out of
// every pair; heldout.go describes both. mine never reads that file.
//
// Output depends only on Config: the same Config gives byte-identical files
// whatever the number of CPUs. The embeddings are built from a hierarchy of
// random directions (global, topic, sub-cluster, group, own noise) with
// tuned shares of the squared norm; see embed.go for the numbers.
//
// It is not a model of language and not a benchmark of embedding quality:
// the terms are random strings and their vectors know nothing about them.
package synth
