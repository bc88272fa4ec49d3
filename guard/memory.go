package guard

import (
	"unicode/utf8"

	"github.com/hardneg/hardneg/internal/sat"

	"github.com/hardneg/hardneg/source"
)

// ExcludeBytes bounds the memory Exclude needs for p, in bytes, without
// building anything: the exclusion lists of the graph rule (and the scan's
// sorted copy of each), the lexical indexes and their scratch on threads
// goroutines. It runs in time linear
// in the positives and the terms (times Hops), so a run can refuse before
// the guards or the embeddings take their memory.
//
// The graph rule's lists are bounded per anchor by the vertices within
// Hops links (1 + the sum of the neighbours' bounds one hop less, at most
// the anchor's component): exact on a star, whose hops:2 lists hold every
// leaf for every leaf. The lexical variants found per anchor are not
// bounded (they depend on the terms' spelling: under edit distance 3 every
// term of three runes is a variant of every other); ExcludeWithin measures
// them against a budget. The result saturates at math.MaxInt64.
func ExcludeBytes(p *source.Problem, rule GraphRule, comp []int32, lex Rules, threads int) int64 {
	var b bytes
	anchors := int64(len(p.Anchors))
	b.add(anchors, 24+8) // Lists' and Graph's headers and counters
	// lists counts the rows of every anchor's list: what the lists hold
	// (but for the component rule, whose anchors share their component's
	// list) and what the scan's sorted copies of them hold (scan.NewScanner
	// keeps every block's state, its exclusions among it, across the corpus
	// chunks).
	var lists, longest int64
	switch {
	case rule.Component:
		b.add(int64(p.Corpus.Len()), 4+8) // members, and its map's share
		size := map[int32]int64{}
		for v, c := range comp {
			if v >= p.Nodes()-p.Corpus.Len() { // corpus vertices only
				size[c]++
			}
		}
		for _, a := range p.Anchors {
			lists = sat.Add(lists, size[comp[p.QueryNode(a.Query)]])
		}
		b.add(lists, 4) // the scan's copies
	case rule.Hops > 1:
		bound := hopBounds(p, rule.Hops, comp)
		for _, a := range p.Anchors {
			n := bound[p.QueryNode(a.Query)]
			lists = sat.Add(lists, n)
			longest = max(longest, n)
		}
		// the adjacency map, and one anchor's visited set at a time
		b.add(int64(p.Nodes()), 64)
		b.add(longest, 48)
		b.add(lists, 4+4) // the lists and the scan's copies
	default:
		for _, a := range p.Anchors {
			lists = sat.Add(lists, int64(len(a.Positives))+1)
		}
		b.add(lists, 4+4) // the lists and the scan's copies
	}
	if !lex.On() {
		return b.n
	}
	terms := p.Corpus.Texts()
	n := int64(len(terms))
	var text int64
	for _, t := range terms {
		text += int64(len(t)) + 1
	}
	b.add(n, 16+4) // normalised forms' headers, rune counts
	b.add(text, 1)
	b.add(int64(max(threads, 1)), ExcludeBytesPerThread(p, lex))
	if lex.Normalized || lex.Contains > 0 {
		b.add(n, 96) // the map from form to group, and the group arrays
	}
	if lex.Contains > 0 {
		b.add(text, 1+4+8) // the joined text, its suffix array and the sort's scratch
		b.add(n, 4)
	}
	if lex.EditDistance > 0 {
		k, minRunes := lex.EditDistance, lex.editMinRunes()
		var entries int64
		for _, t := range terms {
			r := utf8.RuneCountInString(t)
			if r < minRunes {
				continue
			}
			b.add(int64(r), 4) // the runes kept for verification
			b.add(1, 24)
			entries = sat.Add(entries, deletions(r, k))
		}
		// 16-byte entries in the workers' parts, the whole list and the
		// radix sort's copy, then the rows and keys
		b.add(entries, 16+16+16+4+8+4)
	}
	return b.n
}

// hopBounds bounds, for every vertex of the positives graph, the vertices
// within k links of it: b_0 = 1, b_j(v) = 1 + sum of b_{j-1} over v's
// neighbours, each at most the size of v's component.
func hopBounds(p *source.Problem, k int, comp []int32) []int64 {
	nodes := p.Nodes()
	size := map[int32]int64{}
	for _, c := range comp {
		size[c]++
	}
	// adjacency as in the guard: from each anchor to its positives, and
	// back when the sides differ
	deg := make([]int32, nodes+1)
	for _, a := range p.Anchors {
		q := p.QueryNode(a.Query)
		for _, c := range a.Positives {
			deg[q+1]++
			if !p.Same() {
				deg[p.CorpusNode(c)+1]++
			}
		}
	}
	for i := 1; i <= nodes; i++ {
		deg[i] += deg[i-1]
	}
	adj := make([]int32, deg[nodes])
	fill := append([]int32(nil), deg[:nodes]...)
	for _, a := range p.Anchors {
		q := p.QueryNode(a.Query)
		for _, c := range a.Positives {
			n := p.CorpusNode(c)
			adj[fill[q]] = n
			fill[q]++
			if !p.Same() {
				adj[fill[n]] = q
				fill[n]++
			}
		}
	}
	cur, next := make([]int64, nodes), make([]int64, nodes)
	for v := range cur {
		cur[v] = 1
	}
	for range k {
		for v := range nodes {
			s := int64(1)
			for _, u := range adj[deg[v]:deg[v+1]] {
				s = sat.Add(s, cur[u])
			}
			next[v] = min(s, size[comp[v]])
		}
		cur, next = next, cur
	}
	return cur
}

// deletions is the number of strings made by deleting at most k of n
// runes, counting repeats: sum over j <= k of C(n, j).
func deletions(n, k int) int64 {
	var total, c int64 = 0, 1
	for j := 0; j <= min(k, n); j++ {
		total = sat.Add(total, c)
		c = sat.Mul(c, int64(n-j)) / int64(j+1)
	}
	return total
}

// bytes sums sizes without overflow.
type bytes struct{ n int64 }

func (b *bytes) add(count, each int64) { b.n = sat.Add(b.n, sat.Mul(count, each)) }

// ExcludeBytesPerThread is what ExcludeBytes counts for each thread: with
// a lexical rule, each searcher's marks and stamps over the terms.
func ExcludeBytesPerThread(p *source.Problem, lex Rules) int64 {
	if !lex.On() {
		return 0
	}
	return sat.Mul(int64(len(p.Corpus.Texts())), 1+4)
}
