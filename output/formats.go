package output

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/hardneg/hardneg/hfds"
)

// The peer tools' formats. Each anchor's negatives are shared by all its
// positives, so sentence-transformers' n-tuples and FlagEmbedding's records
// are built by grouping a Rows view rather than by reading consecutive rows:
// the result does not depend on the view's order beyond first appearance,
// which is what keeps a shuffled split and an anchor-ordered view both usable.
//
// Scores (--with-scores) are similarities to the anchor. A negative's is
// Triplet.Sim; a positive's is not held in Triplet and comes from the caller
// as a PositiveSim. Every score is written as float64(float32), as
// negative_similarity is, through AppendFloat.

// Errors returned by MakeNTuples. Test them with errors.Is.
var (
	ErrNegativesPerAnchor = errors.New("negatives per anchor must be at least 1")
	ErrTooManyNegatives   = errors.New("(anchor, positive) has more negatives than negatives per anchor")
)

// PositiveSim returns the similarity of positive to anchor (vocabulary rows),
// computed the way the scan computes a negative's, so that positive and
// negative scores compare exactly. A nil PositiveSim means "write no scores".
type PositiveSim func(anchor, positive int32) float32

// Group is one (anchor, positive) pair of a Rows view with its rows.
type Group struct {
	Anchor, Positive int32
	Rows             []int // indices into Rows.Triplets, in the view's order
}

// GroupByPair groups the rows of r by (Anchor, Positive). Groups come in the
// order of their first row in r.Order, and each group's rows in r.Order
// order. All groups' Rows share one backing array of r.Len() ints.
func GroupByPair(r Rows) []Group {
	n := len(r.Order)
	index := make(map[uint64]int32)
	of := make([]int32, n) // group of each row of the view
	var groups []Group
	var counts []int
	for k, i := range r.Order {
		t := r.Triplets[i]
		key := uint64(uint32(t.Anchor))<<32 | uint64(uint32(t.Positive))
		g, ok := index[key]
		if !ok {
			g = int32(len(groups))
			index[key] = g
			groups = append(groups, Group{Anchor: t.Anchor, Positive: t.Positive})
			counts = append(counts, 0)
		}
		of[k] = g
		counts[g]++
	}
	flat := make([]int, n)
	off := 0
	for g, c := range counts {
		groups[g].Rows = flat[off : off : off+c]
		off += c
	}
	for k, i := range r.Order {
		g := &groups[of[k]]
		g.Rows = append(g.Rows, i)
	}
	return groups
}

// NTuples is a Rows view as sentence-transformers n-tuples: one tuple per
// (anchor, positive) with exactly K negatives. Make it with MakeNTuples.
type NTuples struct {
	Rows    Rows
	K       int
	Groups  []Group // the kept groups, each with exactly K rows
	Dropped int     // (anchor, positive) groups with fewer than K negatives, left out
}

// MakeNTuples groups r by (anchor, positive) (see GroupByPair) and keeps the
// groups with exactly k negatives, in order. Groups with fewer (an anchor
// whose pools were short, or a row split that scattered its triplets) are
// dropped and counted, as sentence-transformers drops tuples it could not
// fill. A group with more than k negatives means k is not the run's
// negatives per anchor, and is an error.
func MakeNTuples(r Rows, k int) (NTuples, error) {
	if k < 1 {
		return NTuples{}, fmt.Errorf("output: n-tuples: k = %d: %w", k, ErrNegativesPerAnchor)
	}
	t := NTuples{Rows: r, K: k}
	groups := GroupByPair(r)
	kept := groups[:0]
	for _, g := range groups {
		switch {
		case len(g.Rows) > k:
			return NTuples{}, fmt.Errorf("output: n-tuples: anchor %q, positive %q: %d negatives, k = %d: %w",
				r.Terms[g.Anchor], r.Terms[g.Positive], len(g.Rows), k, ErrTooManyNegatives)
		case len(g.Rows) < k:
			t.Dropped++
		default:
			kept = append(kept, g)
		}
	}
	t.Groups = kept
	return t, nil
}

// Len is the number of tuples.
func (t NTuples) Len() int { return len(t.Groups) }

// NTupleColumns returns the columns of the n-tuple format for k negatives:
// anchor, positive, negative_1 .. negative_k, and with scores the single
// list column score = [positive, negative_1, .., negative_k] that
// sentence-transformers' mine_hard_negatives writes (output_scores=True,
// "n-tuple-scores" in 4.x). This is the JSONL layout; NTupleTable spells the
// scores as flat columns (see there).
func NTupleColumns(k int, withScores bool) []string {
	cols := make([]string, 0, k+3)
	cols = append(cols, "anchor", "positive")
	for j := 1; j <= k; j++ {
		cols = append(cols, "negative_"+strconv.Itoa(j))
	}
	if withScores {
		cols = append(cols, "score")
	}
	return cols
}

// WriteNTupleJSONL writes one JSON object per tuple with the keys of
// NTupleColumns(t.K, pos != nil), in that order. With pos, "score" is the
// list [similarity of the positive, of negative_1, .., of negative_k].
func WriteNTupleJSONL(w io.Writer, t NTuples, pos PositiveSim) error {
	r := t.Rows
	keys := make([]string, t.K) // `, "negative_j": `
	for j := range keys {
		keys[j] = `, "negative_` + strconv.Itoa(j+1) + `": `
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	buf := make([]byte, 0, 256)
	for _, g := range t.Groups {
		buf = buf[:0]
		buf = append(buf, `{"anchor": `...)
		buf = AppendString(buf, r.Terms[g.Anchor])
		buf = append(buf, `, "positive": `...)
		buf = AppendString(buf, r.Terms[g.Positive])
		for j, i := range g.Rows {
			buf = append(buf, keys[j]...)
			buf = AppendString(buf, r.Terms[r.Triplets[i].Negative])
		}
		if pos != nil {
			buf = append(buf, `, "score": [`...)
			buf = AppendFloat(buf, float64(pos(g.Anchor, g.Positive)))
			for _, i := range g.Rows {
				buf = append(buf, ", "...)
				buf = AppendFloat(buf, float64(r.Triplets[i].Sim))
			}
			buf = append(buf, ']')
		}
		buf = append(buf, "}\n"...)
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// NTupleTable returns the tuples as string columns anchor, positive,
// negative_1 .. negative_k. With pos it adds float64 columns
// positive_similarity, negative_1_similarity .. negative_k_similarity: hfds
// writes flat columns only, so the JSONL's "score" list is spread out here,
// in the same order. sentence-transformers takes a column named "score" as
// the label; these are not, so a trainer fed this table must drop or
// combine them. The strings share memory with the vocabulary.
func NTupleTable(t NTuples, pos PositiveSim) hfds.Table {
	r := t.Rows
	n := t.Len()
	cols := make([]hfds.Column, 0, 2*t.K+3)
	anchor, positive := make([]string, n), make([]string, n)
	negs := make([][]string, t.K)
	for j := range negs {
		negs[j] = make([]string, n)
	}
	for k, g := range t.Groups {
		anchor[k], positive[k] = r.Terms[g.Anchor], r.Terms[g.Positive]
		for j, i := range g.Rows {
			negs[j][k] = r.Terms[r.Triplets[i].Negative]
		}
	}
	cols = append(cols,
		hfds.Column{Name: "anchor", Type: hfds.String, Strings: anchor},
		hfds.Column{Name: "positive", Type: hfds.String, Strings: positive})
	for j, s := range negs {
		cols = append(cols, hfds.Column{Name: "negative_" + strconv.Itoa(j+1), Type: hfds.String, Strings: s})
	}
	if pos == nil {
		return hfds.Table{Columns: cols}
	}
	psim := make([]float64, n)
	nsim := make([][]float64, t.K)
	for j := range nsim {
		nsim[j] = make([]float64, n)
	}
	for k, g := range t.Groups {
		psim[k] = float64(pos(g.Anchor, g.Positive))
		for j, i := range g.Rows {
			nsim[j][k] = float64(r.Triplets[i].Sim)
		}
	}
	cols = append(cols, hfds.Column{Name: "positive_similarity", Type: hfds.Float64, Float64s: psim})
	for j, s := range nsim {
		cols = append(cols, hfds.Column{Name: "negative_" + strconv.Itoa(j+1) + "_similarity", Type: hfds.Float64, Float64s: s})
	}
	return hfds.Table{Columns: cols}
}

// WriteFlagEmbeddingJSONL writes FlagEmbedding's training format, one line
// per anchor in first-seen order:
//
//	{"query": anchor, "pos": [positives], "neg": [negatives]}
//
// and with pos also "pos_scores" and "neg_scores", parallel to "pos" and
// "neg". "pos" holds the anchor's positives in the view, in first-seen order.
// "neg" holds its distinct negatives in the view, in first-seen order: in the
// pipeline's anchor-ordered view that is the anchor's one negative set; in a
// row-split view it is the union of what the split holds.
func WriteFlagEmbeddingJSONL(w io.Writer, r Rows, pos PositiveSim) error {
	groups := GroupByPair(r)
	// Chain each anchor's groups: groups are in first-seen order, and an
	// anchor's first row is in its first group, so anchors listed by their
	// first group are in first-seen order too.
	next := make([]int32, len(groups))
	var heads, tails []int32
	anchorOf := make(map[int32]int32)
	for g := range groups {
		next[g] = -1
		a, ok := anchorOf[groups[g].Anchor]
		if !ok {
			anchorOf[groups[g].Anchor] = int32(len(heads))
			heads, tails = append(heads, int32(g)), append(tails, int32(g))
			continue
		}
		next[tails[a]] = int32(g)
		tails[a] = int32(g)
	}

	bw := bufio.NewWriterSize(w, 1<<20)
	buf := make([]byte, 0, 1024)
	var negs []int // first row of each distinct negative of the anchor
	seen := make(map[int32]struct{})
	for _, h := range heads {
		negs = negs[:0]
		if len(seen) > 0 {
			clear(seen)
		}
		for g := h; g >= 0; g = next[g] {
			for _, i := range groups[g].Rows {
				negs = appendDistinct(negs, seen, r.Triplets, i)
			}
		}
		buf = buf[:0]
		buf = append(buf, `{"query": `...)
		buf = AppendString(buf, r.Terms[groups[h].Anchor])
		buf = append(buf, `, "pos": [`...)
		for g := h; g >= 0; g = next[g] {
			if g != h {
				buf = append(buf, ", "...)
			}
			buf = AppendString(buf, r.Terms[groups[g].Positive])
		}
		buf = append(buf, `], "neg": [`...)
		for j, i := range negs {
			if j > 0 {
				buf = append(buf, ", "...)
			}
			buf = AppendString(buf, r.Terms[r.Triplets[i].Negative])
		}
		buf = append(buf, ']')
		if pos != nil {
			buf = append(buf, `, "pos_scores": [`...)
			for g := h; g >= 0; g = next[g] {
				if g != h {
					buf = append(buf, ", "...)
				}
				buf = AppendFloat(buf, float64(pos(groups[g].Anchor, groups[g].Positive)))
			}
			buf = append(buf, `], "neg_scores": [`...)
			for j, i := range negs {
				if j > 0 {
					buf = append(buf, ", "...)
				}
				buf = AppendFloat(buf, float64(r.Triplets[i].Sim))
			}
			buf = append(buf, ']')
		}
		buf = append(buf, "}\n"...)
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// linearDistinct is the set size up to which appendDistinct scans the list
// instead of using the map: an anchor has a handful of negatives.
const linearDistinct = 32

// appendDistinct appends row i to negs unless its negative is already there.
// seen is kept in step once negs outgrows linearDistinct.
func appendDistinct(negs []int, seen map[int32]struct{}, ts []Triplet, i int) []int {
	n := ts[i].Negative
	if len(negs) < linearDistinct {
		for _, j := range negs {
			if ts[j].Negative == n {
				return negs
			}
		}
		return append(negs, i)
	}
	if len(seen) == 0 {
		for _, j := range negs {
			seen[ts[j].Negative] = struct{}{}
		}
	}
	if _, ok := seen[n]; ok {
		return negs
	}
	seen[n] = struct{}{}
	return append(negs, i)
}

// TripletColumnsWithScores is the triplet layout with --with-scores: the
// notebook's five columns unchanged, then positive_similarity. Appending
// keeps every notebook column where the notebook's readers expect it.
var TripletColumnsWithScores = []string{"anchor", "positive", "negative", "negative_similarity", "difficulty", "positive_similarity"}

// WriteJSONLWithScores writes the triplets as WriteJSONL does, with
// positive_similarity as the last key (TripletColumnsWithScores). With a nil
// pos it is WriteJSONL.
func WriteJSONLWithScores(w io.Writer, r Rows, pos PositiveSim) error {
	return writeTriplets(w, r, pos)
}

// TableWithScores returns Table(r) with a float64 positive_similarity column
// last (TripletColumnsWithScores). With a nil pos it is Table(r).
func TableWithScores(r Rows, pos PositiveSim) hfds.Table {
	t := Table(r)
	if pos == nil {
		return t
	}
	sim := make([]float64, r.Len())
	for k, i := range r.Order {
		tr := r.Triplets[i]
		sim[k] = float64(pos(tr.Anchor, tr.Positive))
	}
	t.Columns = append(t.Columns, hfds.Column{Name: "positive_similarity", Type: hfds.Float64, Float64s: sim})
	return t
}
