package format

import (
	"slices"

	"github.com/hardneg/hardneg/hfds"
)

// Each anchor's negatives are shared by all its positives, so the grouped
// formats are built by grouping a view rather than by reading consecutive
// rows. Groups come in the order of their first row in the view (a
// shuffled split stays shuffled), but within a group the negatives keep
// the order in which they were chosen, the order of View.Rows: most
// similar first for top sampling, as sentence-transformers lists them.

// pairGroup is one (anchor, positive) of a view with its rows.
type pairGroup struct {
	Anchor, Positive int32
	Rows             []int // indices into View.Rows, in the view's order
}

// groupByPair groups the rows of v by (Anchor, Positive). Groups come in
// the order of their first row in v.Order, and each group's rows in the
// order of v.Rows. All groups' Rows share one backing array.
func groupByPair(v View) []pairGroup {
	n := len(v.Order)
	index := make(map[uint64]int32)
	of := make([]int32, n) // group of each row of the view
	var groups []pairGroup
	var counts []int
	for k, i := range v.Order {
		r := v.Rows[i]
		key := uint64(uint32(r.Anchor))<<32 | uint64(uint32(r.Positive))
		g, ok := index[key]
		if !ok {
			g = int32(len(groups))
			index[key] = g
			groups = append(groups, pairGroup{Anchor: r.Anchor, Positive: r.Positive})
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
	for k, i := range v.Order {
		g := &groups[of[k]]
		g.Rows = append(g.Rows, i)
	}
	for _, g := range groups {
		slices.Sort(g.Rows)
	}
	return groups
}

// anchorGroup is one anchor of a view: its positives and its distinct
// negatives (the first row of each), both in the order of View.Rows.
type anchorGroup struct {
	Anchor    int32
	Positives []int32
	Negatives []int // indices into View.Rows
}

// groupByAnchor groups the rows of v by anchor, in first-seen order. In
// the pipeline's views an anchor's negatives are one set shared by its
// positives; in a row-split view they are the union of what the split
// holds.
func groupByAnchor(v View) []anchorGroup {
	pairs := groupByPair(v)
	index := make(map[int32]int)
	var of [][]pairGroup // each anchor's pair groups
	var out []anchorGroup
	for _, p := range pairs {
		a, ok := index[p.Anchor]
		if !ok {
			a = len(out)
			index[p.Anchor] = a
			out = append(out, anchorGroup{Anchor: p.Anchor})
			of = append(of, nil)
		}
		of[a] = append(of[a], p)
	}
	for a, ps := range of {
		// The anchor's positives in the order of View.Rows, as its
		// negatives.
		slices.SortFunc(ps, func(x, y pairGroup) int { return x.Rows[0] - y.Rows[0] })
		g := &out[a]
		for _, p := range ps {
			g.Positives = append(g.Positives, p.Positive)
			for _, i := range p.Rows {
				g.Negatives = appendDistinct(g.Negatives, v.Rows, i)
			}
		}
	}
	return out
}

// appendDistinct appends row i to negs unless its negative is already
// there; an anchor has a handful of negatives.
func appendDistinct(negs []int, rows []Row, i int) []int {
	n := rows[i].Negative
	for _, j := range negs {
		if rows[j].Negative == n {
			return negs
		}
	}
	return append(negs, i)
}

// newList starts a list column of the given type; rows are closed with
// endRow.
func newList(name string, typ hfds.Type) *hfds.Column {
	return &hfds.Column{Name: name, Type: typ, Offsets: []int{0}}
}

// endRow closes the current row of list column l.
func endRow(l *hfds.Column) {
	switch l.Type {
	case hfds.ListString:
		l.Offsets = append(l.Offsets, len(l.Strings))
	case hfds.ListFloat64:
		l.Offsets = append(l.Offsets, len(l.Float64s))
	case hfds.ListInt64:
		l.Offsets = append(l.Offsets, len(l.Int64s))
	}
}

func stringCol(name string, v []string) hfds.Column {
	return hfds.Column{Name: name, Type: hfds.String, Strings: v}
}

func floatCol(name string, v []float64) hfds.Column {
	return hfds.Column{Name: name, Type: hfds.Float64, Float64s: v}
}

func intCol(name string, v []int64) hfds.Column {
	return hfds.Column{Name: name, Type: hfds.Int64, Int64s: v}
}
