package guard

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/hardneg/hardneg/source"
)

// star links one centre term to every other of n terms: under hops:2 each
// leaf excludes every leaf, n² rows in all.
func star(n int) *source.Problem {
	terms := make([]string, n)
	for i := range terms {
		terms[i] = fmt.Sprintf("term%06d", i)
	}
	side, err := source.NewTerms(terms)
	if err != nil {
		panic(err)
	}
	var anchors []source.Anchor
	centre := source.Anchor{Query: 0}
	for i := 1; i < n; i++ {
		centre.Positives = append(centre.Positives, int32(i))
		anchors = append(anchors, source.Anchor{Query: int32(i), Positives: []int32{0}})
	}
	return &source.Problem{Queries: side, Corpus: side, Anchors: append([]source.Anchor{centre}, anchors...)}
}

// randomGraph links n terms, or n queries to n documents, at random.
func randomGraph(r *rand.Rand, n, links int, same bool) *source.Problem {
	terms := make([]string, n)
	for i := range terms {
		terms[i] = fmt.Sprintf("t%d", i)
	}
	side, _ := source.NewTerms(terms)
	docs := side
	if !same {
		docs, _ = source.NewTerms(append([]string(nil), terms...))
	}
	pos := map[int32][]int32{}
	var order []int32
	for range links {
		a, b := int32(r.IntN(n)), int32(r.IntN(n))
		if same && a == b {
			continue
		}
		if _, ok := pos[a]; !ok {
			order = append(order, a)
		}
		pos[a] = append(pos[a], b)
		if same {
			if _, ok := pos[b]; !ok {
				order = append(order, b)
			}
			pos[b] = append(pos[b], a)
		}
	}
	var anchors []source.Anchor
	for _, a := range order {
		anchors = append(anchors, source.Anchor{Query: a, Positives: pos[a]})
	}
	return &source.Problem{Queries: side, Corpus: docs, Anchors: anchors}
}

// TestExcludeBytesBoundsTheLists checks the bound against the lists
// Exclude builds: never below them, and tight on a star under hops:2, the
// case that took 3.6 GB against a 400 MiB cap.
func TestExcludeBytesBoundsTheLists(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	listBytes := func(ex *Exclusions) int64 {
		var n int64
		for _, l := range ex.Lists {
			n += 4 * int64(len(l))
		}
		return n
	}
	for i := range 40 {
		p := randomGraph(r, 50+r.IntN(200), r.IntN(400), i%2 == 0)
		comp, err := Components(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, rule := range []GraphRule{PositivesOnly, {Hops: 2}, {Hops: 3}, {Hops: 5}, {Component: true}} {
			ex, err := Exclude(p, rule, comp, Rules{}, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got, bound := listBytes(ex), ExcludeBytes(p, rule, comp, Rules{}, 1); got > bound {
				t.Fatalf("graph %d, %v: lists take %d bytes, the bound is %d", i, rule, got, bound)
			}
		}
	}
	p := star(3000)
	comp, _ := Components(p)
	ex, err := Exclude(p, GraphRule{Hops: 2}, comp, Rules{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, bound := listBytes(ex), ExcludeBytes(p, GraphRule{Hops: 2}, comp, Rules{}, 1)
	if got < 3000*2999*4 || bound < 2*got || bound > 3*got { // the lists and the scan's copies
		t.Fatalf("star: lists take %d bytes, the bound is %d", got, bound)
	}
}

// TestExcludeWithinStopsOverBudget: edit distance 3 between terms of three
// runes makes every such term a variant of every other; a budget refuses
// that from a sample, or stops when the variants exceed it, and no budget
// computes it.
func TestExcludeWithinStopsOverBudget(t *testing.T) {
	var terms []string
	for _, a := range "가나다라마바사아자차" {
		for _, b := range "카타파하거너더러머버" {
			for _, c := range "고노도로모보소오조초" {
				terms = append(terms, string([]rune{a, b, c}))
			}
		}
	}
	side, _ := source.NewTerms(terms)
	var anchors []source.Anchor
	for i := 0; i+1 < len(terms); i += 2 {
		anchors = append(anchors, source.Anchor{Query: int32(i), Positives: []int32{int32(i + 1)}}, source.Anchor{Query: int32(i + 1), Positives: []int32{int32(i)}})
	}
	p := &source.Problem{Queries: side, Corpus: side, Anchors: anchors}
	comp, _ := Components(p)
	lex := Rules{EditDistance: 3}
	ex, err := ExcludeWithin(p, PositivesOnly, comp, lex, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	var hits int64
	for _, rows := range ex.LexRows {
		hits += int64(len(rows))
	}
	if hits < int64(len(terms))*int64(len(terms))/2 {
		t.Fatalf("%d variants", hits)
	}
	for _, budget := range []int64{1 << 20, hits * 13 / 2} {
		if _, err := ExcludeWithin(p, PositivesOnly, comp, lex, 2, budget); !errors.Is(err, ErrBudget) {
			t.Errorf("budget %d: %v, want ErrBudget", budget, err)
		}
	}
	if _, err := ExcludeWithin(p, PositivesOnly, comp, lex, 2, hits*13+1<<20); err != nil {
		t.Errorf("a budget that fits: %v", err)
	}
	// The stop itself, without the sample's early refusal.
	ix := NewIndex(terms, lex)
	at, pos := make([]int32, len(anchors)), make([][]int32, len(anchors))
	for i, a := range anchors {
		at[i], pos[i] = a.Query, a.Positives
	}
	for _, threads := range []int{1, 2} {
		if _, _, ok := ix.exclusionsAll(at, pos, threads, hits/2); ok {
			t.Errorf("%d threads: not stopped at half the variants", threads)
		}
		if _, _, ok := ix.exclusionsAll(at, pos, threads, hits); !ok {
			t.Errorf("%d threads: stopped at exactly the variants", threads)
		}
	}
}
