package synth

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Share of synonym edges listed in both directions, and of one-way edges
// from a group's hub listed with the hub as source.
const (
	bothWaysPercent = 50
	hubFirstPercent = 75
)

// extraEdgePercent is the chance that two non-hub members of a group of size
// k are paired too (every member is paired with the hub). It is tuned so that
// anchors average about 2.47 positives, as in the real data.
func extraEdgePercent(k int) int {
	switch {
	case k <= 3:
		return 100
	case k == 4:
		return 90
	default:
		return 59
	}
}

var categories = [...]struct {
	name    string
	percent int
}{
	{"synonym", 60},
	{"abbreviation", 15},
	{"spelling_variant", 15},
	{"transliteration", 10},
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }

func decorate(r *rand.Rand, p *Pair) {
	x := r.IntN(100)
	for _, c := range categories {
		if x < c.percent {
			p.Category = c.name
			break
		}
		x -= c.percent
	}
	p.IGScore = round4(uniform(r, 0.05, 1))
	p.PMIScore = round4(uniform(r, 1, 12))
	p.CEScore = round4(uniform(r, 0.5, 1))
	p.NFiltersPassed = 2 + r.IntN(3)
}

// cosine is the cosine of rows i and j, in float64.
func cosine(emb []float32, dim, i, j int) float64 {
	a, b := emb[i*dim:][:dim], emb[j*dim:][:dim]
	var ab, aa, bb float64
	for k, x := range a {
		y := float64(b[k])
		ab += float64(x) * y
		aa += float64(x) * float64(x)
		bb += y * y
	}
	return ab / math.Sqrt(aa*bb)
}

// listing is every synonym pair the generator draws, before any is held
// out, with what holdOut needs to know about each line.
type listing struct {
	pairs  []Pair  // file order, out-of-vocabulary pairs included
	edgeOf []int32 // for each line of pairs, its index in edges, or -1 for an out-of-vocabulary pair
	edges  []edge  // the synonym edges, in the order drawn
	groups [][]int // term rows of each group, in the order drawn; the hub first
	oovRow []int   // the in-vocabulary row of each out-of-vocabulary pair
	oov    int     // number of out-of-vocabulary pairs
}

// edge is one synonym edge: the group it belongs to, the local indices of
// its two members in that group (i < j), and its first line.
type edge struct {
	group, i, j int32
	first       Pair
}

// makePairs lists the synonym pairs, group by group in random order, with
// the out-of-vocabulary pairs scattered among them.
func makePairs(cfg Config, lay *layout, terms []string, emb []float32, oov []string) *listing {
	r := newRand(cfg.Seed, streamPairs, 0)
	order := r.Perm(len(lay.groups))
	groups := make([][]int, len(lay.groups))
	var (
		pairs  []Pair
		edgeOf []int32
		edges  []edge
	)
	// An edge listed both ways is one pair of terms to the upstream
	// filters, so both lines carry the same scores. a and b are local
	// indices in group gi.
	addEdge := func(gi int, rows []int, a, b int) {
		p := Pair{Source: terms[rows[a]], Target: terms[rows[b]], Similarity: round4(cosine(emb, cfg.Dim, rows[a], rows[b]))}
		decorate(r, &p)
		id := int32(len(edges))
		edges = append(edges, edge{group: int32(gi), i: int32(min(a, b)), j: int32(max(a, b)), first: p})
		pairs = append(pairs, p)
		edgeOf = append(edgeOf, id)
		if r.IntN(100) < bothWaysPercent {
			p.Source, p.Target = p.Target, p.Source
			pairs = append(pairs, p)
			edgeOf = append(edgeOf, id)
		}
	}
	for gi, g := range order {
		sp := lay.groups[g]
		rows := make([]int, 0, sp.end-sp.start)
		for slot := sp.start; slot < sp.end; slot++ {
			rows = append(rows, lay.perm[slot])
		}
		groups[gi] = rows
		for m := 1; m < len(rows); m++ { // rows[0] is the hub
			if r.IntN(100) < hubFirstPercent {
				addEdge(gi, rows, 0, m)
			} else {
				addEdge(gi, rows, m, 0)
			}
		}
		extra := extraEdgePercent(len(rows))
		for i := 1; i < len(rows); i++ {
			for j := i + 1; j < len(rows); j++ {
				if r.IntN(100) < extra {
					addEdge(gi, rows, i, j)
				}
			}
		}
	}

	// Scatter the out-of-vocabulary pairs: each pairs one of the terms with
	// a name that is not in the vocabulary, in either direction.
	type placed struct {
		at int
		p  Pair
	}
	extra := make([]placed, len(oov))
	oovRow := make([]int, len(oov))
	for i, name := range oov {
		row := r.IntN(len(terms))
		oovRow[i] = row
		p := Pair{Source: terms[row], Target: name, Similarity: round4(uniform(r, 0.7, 0.95))}
		if r.IntN(2) == 0 {
			p.Source, p.Target = p.Target, p.Source
		}
		decorate(r, &p)
		extra[i] = placed{at: r.IntN(len(pairs) + 1), p: p}
	}
	slices.SortStableFunc(extra, func(a, b placed) int { return a.at - b.at })
	l := &listing{
		pairs:  make([]Pair, 0, len(pairs)+len(extra)),
		edgeOf: make([]int32, 0, len(pairs)+len(extra)),
		edges:  edges,
		groups: groups,
		oovRow: oovRow,
		oov:    len(oov),
	}
	next := 0
	for i := 0; i <= len(pairs); i++ {
		for next < len(extra) && extra[next].at == i {
			l.pairs = append(l.pairs, extra[next].p)
			l.edgeOf = append(l.edgeOf, -1)
			next++
		}
		if i < len(pairs) {
			l.pairs = append(l.pairs, pairs[i])
			l.edgeOf = append(l.edgeOf, edgeOf[i])
		}
	}
	return l
}
