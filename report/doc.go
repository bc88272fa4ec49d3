// Package report draws charts of a mine output, for a person to look at
// instead of reading the JSONL and the stats file. Write reads a finished
// output folder and writes three PNGs (gonum.org/v1/plot):
//
//   - similarity.png (SimilarityChart): histogram of negative_similarity of
//     the sampled negatives, stacked by difficulty, one colour per band, with
//     dashed lines at the band edges. Each distinct (anchor, negative) counts
//     once: mine writes every negative once per positive of its anchor, and
//     counting lines would weight anchors with many positives. Bins are 0.005
//     wide on a fixed grid, so an edge that is a multiple of 0.005 is a bin
//     edge.
//   - mix.png (MixChart): target and achieved percent of triplets per band,
//     from the stats file's mix section (a stats file without one, such as
//     the notebook's, falls back to <band>_ratio and the JSONL counts).
//   - positives.png (PositivesChart): how many anchors have 1, 2, ...
//     distinct positives. Anchors that got no negative have no triplet, so
//     they are not in the files and not in the chart.
//
// Bands, their order and their edges come from the stats file's
// <band>_range entries; a difficulty label in the JSONL that the stats file
// does not name is charted after the bands, without edges.
//
// The JSONL files are streamed line by line; memory grows with the anchors
// and their distinct positives and negatives (a few small hashes each), not
// with the number of lines. Errors about a bad line name the file and the
// line and wrap ErrInput.
//
// Report only reads what mine wrote; it does not import mine, so mine or the
// CLI may call it after a run. It is not a statistics package: the numbers
// it shows are in the stats file already, or are counts of the JSONL.
//
// The example charts in docs/ (docs/similarity.png, docs/mix.png, 800 × 450,
// drawn from the demo data set) are regenerated with
//
//	go test ./report/ -run TestDocsCharts -update
package report
