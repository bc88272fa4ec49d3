package guard

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hardneg/hardneg/internal/sat"

	"github.com/hardneg/hardneg/source"
	"github.com/hardneg/hardneg/split"
)

// GraphRule is the positives-graph guard: which corpus items near an anchor
// in the graph of positives (queries and corpus items linked by every
// positive) are never its negatives.
type GraphRule struct {
	// Component excludes the anchor's whole connected component, which on
	// a graph with a giant component also removes legitimate negatives.
	Component bool
	// Hops excludes every corpus item within Hops links of the anchor;
	// 1 is its positives alone (the notebook's rule).
	Hops int
}

// PositivesOnly is the notebook's rule: only the anchor's positives.
var PositivesOnly = GraphRule{Hops: 1}

// ErrGraphRule reports a rule that cannot be parsed.
var ErrGraphRule = errors.New("bad graph rule")

// ParseGraphRule reads "positives", "hops:K" (K from 1 to 100) or
// "component".
func ParseGraphRule(s string) (GraphRule, error) {
	switch {
	case s == "positives" || s == "":
		return PositivesOnly, nil
	case s == "component":
		return GraphRule{Component: true}, nil
	case strings.HasPrefix(s, "hops:"):
		k, err := strconv.Atoi(strings.TrimPrefix(s, "hops:"))
		if err != nil || k < 1 || k > 100 {
			return GraphRule{}, fmt.Errorf("%w: %q: want hops:K with K from 1 to 100", ErrGraphRule, s)
		}
		return GraphRule{Hops: k}, nil
	}
	return GraphRule{}, fmt.Errorf("%w: %q: want positives, hops:K or component", ErrGraphRule, s)
}

// String is the rule as ParseGraphRule reads it: hops:1 is "positives".
func (r GraphRule) String() string {
	switch {
	case r.Component:
		return "component"
	case r.Hops <= 1:
		return "positives"
	}
	return "hops:" + strconv.Itoa(r.Hops)
}

// Beyond reports whether the rule excludes more than the positives.
func (r GraphRule) Beyond() bool { return r.Component || r.Hops > 1 }

// MarshalText writes the rule as String does.
func (r GraphRule) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a rule with ParseGraphRule.
func (r *GraphRule) UnmarshalText(b []byte) error {
	v, err := ParseGraphRule(string(b))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Components labels every vertex of the problem's positives graph with its
// connected component (split.Components over source.Problem's vertex
// numbering).
func Components(p *source.Problem) ([]int32, error) {
	anchors := make([]int32, len(p.Anchors))
	positives := make([][]int32, len(p.Anchors))
	for i, a := range p.Anchors {
		anchors[i] = p.QueryNode(a.Query)
		if p.Same() {
			positives[i] = a.Positives
			continue
		}
		nodes := make([]int32, len(a.Positives))
		for j, c := range a.Positives {
			nodes[j] = p.CorpusNode(c)
		}
		positives[i] = nodes
	}
	return split.Components(p.Nodes(), anchors, positives)
}

// Exclusions are the corpus rows each anchor never gets as negatives, and
// how many each guard added beyond the positives and the anchor itself.
type Exclusions struct {
	// Lists holds, per anchor, sorted corpus rows; lists may share memory
	// between anchors.
	Lists [][]int32
	// Graph counts, per anchor, the rows the graph rule added.
	Graph []int
	// GraphLists are the lists the graph rule alone gives (the anchor, its
	// positives and what the rule added); the same as Lists when no lexical
	// rule is on.
	GraphLists [][]int32
	// LexRows and LexRules hold, per anchor, the lexical variants (sorted
	// rows) and the rule that matched each; nil when no lexical rule is on.
	LexRows  [][]int32
	LexRules [][]Rule
}

// Exclude applies the graph rule and the lexical rules to every anchor of
// p. comp is the graph's components (Components), needed by the component
// rule. Lexical rules compare texts of one kind and need the queries to be
// the corpus (a term list).
func Exclude(p *source.Problem, rule GraphRule, comp []int32, lex Rules, threads int) (*Exclusions, error) {
	return ExcludeWithin(p, rule, comp, lex, threads, 0)
}

// ErrBudget reports lexical variants that would take more memory than a
// run has left for them.
var ErrBudget = errors.New("over the memory budget")

// ExcludeWithin is Exclude with a budget, in bytes, for what ExcludeBytes
// cannot bound beforehand: the lexical variants found per anchor (and their
// places in the lists they extend, and in the scan's copies of them). It first looks up a sample of anchors and
// refuses when the extrapolation exceeds the budget, and it stops as soon
// as the variants found exceed it; the error wraps ErrBudget. A budget of
// 0 means none.
func ExcludeWithin(p *source.Problem, rule GraphRule, comp []int32, lex Rules, threads int, budget int64) (*Exclusions, error) {
	ex := graphExclusions(p, rule, comp)
	ex.GraphLists = slices.Clone(ex.Lists)
	if !lex.On() {
		return ex, nil
	}
	if !p.Same() {
		return nil, errors.New("the lexical guards compare terms with terms: they need the queries to be the corpus (the synonym job); for documents use the near-duplicate guard")
	}
	ix := NewIndex(p.Corpus.Texts(), lex)
	at := make([]int32, len(p.Anchors))
	pos := make([][]int32, len(p.Anchors))
	for i, a := range p.Anchors {
		at[i], pos[i] = a.Query, a.Positives
	}
	// Bytes per variant: its row and rule, its place in the merged list,
	// and in the scan's copy of that list.
	const perHit = 4 + 1 + 4 + 4
	over := func(hits int64, how string) error {
		return fmt.Errorf("%w: the lexical guards exclude %s %d candidates (%.0f per anchor), which need about %d MiB, more than the %d MiB the run has left",
			ErrBudget, how, hits, float64(hits)/float64(max(len(at), 1)), sat.Mul(hits, perHit)>>20, budget>>20)
	}
	if budget > 0 && len(at) > 0 {
		// A sample spread over the anchors, the same for every run.
		const sample = 256
		step := max(1, len(at)/sample)
		var hits, n int64
		for i := 0; i < len(at); i += step {
			rows, _ := ix.Exclusions(at[i], pos[i])
			hits += int64(len(rows))
			n++
		}
		if est := sat.Mul(hits, int64(len(at))) / n; sat.Mul(est, perHit) > budget {
			return nil, over(est, "about")
		}
	}
	var maxHits int64
	if budget > 0 {
		maxHits = budget / perHit
	}
	rows, rules, ok := ix.exclusionsAll(at, pos, threads, maxHits)
	if !ok {
		return nil, over(maxHits, "more than")
	}
	ex.LexRows, ex.LexRules = rows, rules
	for i := range p.Anchors {
		if len(rows[i]) > 0 {
			ex.Lists[i] = mergeSorted(ex.Lists[i], rows[i])
		}
	}
	return ex, nil
}

// graphExclusions applies the graph rule to every anchor.
func graphExclusions(p *source.Problem, rule GraphRule, comp []int32) *Exclusions {
	ex := &Exclusions{Lists: make([][]int32, len(p.Anchors)), Graph: make([]int, len(p.Anchors))}
	self := 0
	if p.Same() {
		self = 1
	}
	base := func(a source.Anchor) []int32 {
		l := slices.Clone(a.Positives)
		if p.Same() {
			l = append(l, a.Query)
		}
		slices.Sort(l)
		return slices.Compact(l)
	}
	switch {
	case rule.Component:
		members := map[int32][]int32{}
		for c := range p.Corpus.Len() {
			k := comp[p.CorpusNode(int32(c))]
			members[k] = append(members[k], int32(c)) // sorted: rows are added in order
		}
		for i, a := range p.Anchors {
			ex.Lists[i] = members[comp[p.QueryNode(a.Query)]]
			ex.Graph[i] = len(ex.Lists[i]) - self - len(a.Positives)
		}
	case rule.Hops > 1:
		adj := adjacency(p)
		for i, a := range p.Anchors {
			ex.Lists[i] = within(p, adj, a.Query, rule.Hops)
			ex.Graph[i] = len(ex.Lists[i]) - self - len(a.Positives)
		}
	default:
		for i, a := range p.Anchors {
			ex.Lists[i] = base(a)
		}
	}
	return ex
}

// adjacency is the positives graph as adjacency lists over vertices.
func adjacency(p *source.Problem) map[int32][]int32 {
	adj := make(map[int32][]int32, 2*len(p.Anchors))
	for _, a := range p.Anchors {
		q := p.QueryNode(a.Query)
		for _, c := range a.Positives {
			n := p.CorpusNode(c)
			adj[q] = append(adj[q], n)
			if !p.Same() {
				adj[n] = append(adj[n], q)
			}
		}
	}
	return adj
}

// within is every corpus row at most k links from query q, sorted; q
// itself is among them when the queries are the corpus.
func within(p *source.Problem, adj map[int32][]int32, q int32, k int) []int32 {
	start := p.QueryNode(q)
	seen := map[int32]bool{start: true}
	frontier := []int32{start}
	for range k {
		var next []int32
		for _, x := range frontier {
			for _, y := range adj[x] {
				if !seen[y] {
					seen[y] = true
					next = append(next, y)
				}
			}
		}
		frontier = next
	}
	nq := int32(0)
	if !p.Same() {
		nq = int32(p.Queries.Len())
	}
	out := make([]int32, 0, len(seen))
	for n := range seen {
		if n >= nq {
			out = append(out, n-nq)
		}
	}
	slices.Sort(out)
	return out
}

// mergeSorted unions sorted lists without duplicates.
func mergeSorted(a, b []int32) []int32 {
	out := make([]int32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, a[i])
			i++
		case i >= len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	return out
}
