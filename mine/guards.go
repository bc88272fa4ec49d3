package mine

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/hardneg/hardneg/guard"
	"github.com/hardneg/hardneg/output"
	"github.com/hardneg/hardneg/sample"
	"github.com/hardneg/hardneg/scan"
	"github.com/hardneg/hardneg/source"
	"github.com/hardneg/hardneg/split"
)

// Values of Config.Exclude, the synonym-graph guard.
const (
	ExcludePositives = "positives" // the notebook: the anchor and its positives
	ExcludeComponent = "component" // the anchor's whole connected component
	// "hops:K" excludes every term within K links of the anchor.
)

// graphRule is a parsed Config.Exclude.
type graphRule struct {
	component bool
	hops      int // 1 for positives
}

func parseExclude(s string) (graphRule, error) {
	switch {
	case s == ExcludePositives || s == "":
		return graphRule{hops: 1}, nil
	case s == ExcludeComponent:
		return graphRule{component: true}, nil
	case strings.HasPrefix(s, "hops:"):
		k, err := strconv.Atoi(strings.TrimPrefix(s, "hops:"))
		if err != nil || k < 1 || k > 100 {
			return graphRule{}, fmt.Errorf("exclude %q: want hops:K with K from 1 to 100", s)
		}
		return graphRule{hops: k}, nil
	}
	return graphRule{}, fmt.Errorf("exclude %q: want %s, hops:K or %s", s, ExcludePositives, ExcludeComponent)
}

// exclusions are the candidates each anchor never gets as negatives, with
// how many each guard added beyond the anchor and its positives.
type exclusions struct {
	lists [][]int32 // per anchor, sorted; may share memory between anchors
	graph []int     // per anchor: terms the graph rule added beyond the positives
	// lexical variants, per anchor (sorted rows and the rule that matched
	// each); nil when no lexical rule is on
	lexRows  [][]int32
	lexRules [][]guard.Rule
	// comp is the synonym graph's components the rules were built from.
	comp []int32
}

// guardExclusions applies the graph guard and the lexical guards to every
// anchor: what the scan must skip, and what the stats and the dump report.
func guardExclusions(cfg Config, terms []string, anchors []source.Anchor, comp []int32, threads int) exclusions {
	rule, _ := parseExclude(cfg.Exclude) // validated
	ex := buildExclusions(rule, len(terms), anchors, comp)
	if !cfg.lexical() {
		return ex
	}
	ix := guard.NewIndex(terms, cfg.Lexical)
	at := make([]int32, len(anchors))
	pos := make([][]int32, len(anchors))
	for i, a := range anchors {
		at[i], pos[i] = a.Query, a.Positives
	}
	ex.lexRows, ex.lexRules = ix.ExclusionsAll(at, pos, threads)
	for i := range anchors {
		if len(ex.lexRows[i]) > 0 {
			ex.lists[i] = mergeSorted(ex.lists[i], ex.lexRows[i])
		}
	}
	return ex
}

// buildExclusions applies the graph guard to every anchor. comp is the
// synonym graph's components (split.Components).
func buildExclusions(rule graphRule, nTerms int, anchors []source.Anchor, comp []int32) exclusions {
	ex := exclusions{lists: make([][]int32, len(anchors)), graph: make([]int, len(anchors))}
	switch {
	case rule.component:
		members := map[int32][]int32{}
		for t := range nTerms {
			members[comp[t]] = append(members[comp[t]], int32(t))
		}
		for i, a := range anchors {
			ex.lists[i] = members[comp[a.Query]] // sorted: terms were added in order
			ex.graph[i] = len(ex.lists[i]) - 1 - len(a.Positives)
		}
	case rule.hops > 1:
		adj := make(map[int32][]int32, len(anchors))
		for _, a := range anchors {
			adj[a.Query] = a.Positives
		}
		for i, a := range anchors {
			ex.lists[i] = within(adj, a.Query, rule.hops)
			ex.graph[i] = len(ex.lists[i]) - 1 - len(a.Positives)
		}
	default:
		for i, a := range anchors {
			l := append([]int32{a.Query}, a.Positives...)
			slices.Sort(l)
			ex.lists[i] = l
		}
	}
	return ex
}

// within is every term at most k links from start, start included, sorted.
func within(adj map[int32][]int32, start int32, k int) []int32 {
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
	out := make([]int32, 0, len(seen))
	for t := range seen {
		out = append(out, t)
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

// RuleStats summarises what one exclusion rule removed.
type RuleStats struct {
	Anchors int `json:"anchors_affected"`
	Total   int `json:"candidates_excluded"`
	Max     int `json:"max_per_anchor"`
	// Over1Percent counts anchors that lost more than 1% of their
	// candidates to the rule: a sign that it also throws away legitimate
	// hard negatives (a giant component, say).
	Over1Percent int `json:"anchors_over_1_percent"`
}

func ruleStats(perAnchor []int, nTerms int) RuleStats {
	var s RuleStats
	for _, n := range perAnchor {
		if n <= 0 {
			continue
		}
		s.Anchors++
		s.Total += n
		s.Max = max(s.Max, n)
		if float64(n) > 0.01*float64(nTerms) {
			s.Over1Percent++
		}
	}
	return s
}

// ceilings is the positive-aware ceiling of every anchor: its lowest
// positive similarity times ratio, or minus margin, whichever is lower;
// +Inf where neither is set.
func ceilings(cfg Config, anchors []source.Anchor, posSim func(a, p int32) float32) []float32 {
	out := make([]float32, len(anchors))
	for i, a := range anchors {
		c := math.Inf(1)
		low := math.Inf(1)
		for _, p := range a.Positives {
			low = min(low, float64(posSim(a.Query, p)))
		}
		if cfg.MaxNegRatio > 0 {
			c = min(c, cfg.MaxNegRatio*low)
		}
		if cfg.MaxNegMargin > 0 {
			c = min(c, low-cfg.MaxNegMargin)
		}
		out[i] = float32(c)
	}
	return out
}

// componentsOf is split.Components with the error the pipeline reports.
func componentsOf(nTerms int, anchors []source.Anchor) ([]int32, error) {
	return split.Components(nTerms, anchors)
}

// capReuse replaces each chosen negative that already serves cap anchors
// by the next sampled candidate of its band (in key order) that does not,
// and drops it when there is none.
func capReuse(negs []sample.Negative, picks [][]scan.Pick, uses map[int32]int, cap int, st *ReuseStats) []sample.Negative {
	chosen := map[int32]bool{}
	for _, n := range negs {
		chosen[n.Row] = true
	}
	out := negs[:0:0]
	for _, n := range negs {
		if uses[n.Row] < cap {
			out = append(out, n)
			continue
		}
		replaced := false
		for _, p := range picks[n.Band] {
			if !chosen[p.Row] && uses[p.Row] < cap {
				chosen[p.Row] = true
				out = append(out, sample.Negative{Row: p.Row, Sim: p.Sim, Band: n.Band})
				replaced = true
				break
			}
		}
		if replaced {
			st.Replaced++
		} else {
			st.Dropped++
		}
	}
	return out
}

// GuardStats reports what the false-negative guards did.
type GuardStats struct {
	Exclude string `json:"exclude"`
	// Excluded counts, per rule, the candidates it removed beyond the
	// anchor and its positives.
	Excluded Object        `json:"excluded_beyond_positives"`
	Ceiling  *CeilingStats `json:"ceiling,omitempty"`
	Reuse    ReuseStats    `json:"reuse"`
}

// CeilingStats reports the positive-aware ceiling.
type CeilingStats struct {
	Ratio  float64 `json:"max_neg_ratio"`
	Margin float64 `json:"max_neg_margin"`
	// Removed counts in-band candidates above the ceiling; Starved counts
	// anchors the ceiling left without any candidate.
	Removed  int64 `json:"candidates_removed"`
	Affected int   `json:"anchors_affected"`
	Starved  int   `json:"anchors_starved"`
}

// ReuseStats reports how often terms serve as negatives.
type ReuseStats struct {
	Cap      int         `json:"max_negative_reuse"`
	Replaced int         `json:"replaced"`
	Dropped  int         `json:"dropped"`
	MostUsed []TermCount `json:"most_used"`
}

// TermCount is a term and how many anchors use it as a negative.
type TermCount struct {
	Term    string `json:"term"`
	Anchors int    `json:"anchors"`
}

func guardStats(cfg Config, nTerms int, ex exclusions, results []scan.Result, uses map[int32]int, terms []string, reuse ReuseStats) GuardStats {
	g := GuardStats{Exclude: cfg.Exclude}
	rule, _ := parseExclude(cfg.Exclude)
	if rule.component || rule.hops > 1 {
		g.Excluded = append(g.Excluded, Field{cfg.Exclude, ruleStats(ex.graph, nTerms)})
	}
	if ex.lexRules != nil {
		for _, r := range []guard.Rule{guard.RuleNormalized, guard.RuleContains, guard.RuleEditDistance} {
			per := make([]int, len(ex.lexRules))
			for i, rules := range ex.lexRules {
				for _, got := range rules {
					if got == r {
						per[i]++
					}
				}
			}
			if cfg.lexicalRuleOn(r) {
				g.Excluded = append(g.Excluded, Field{"lexical_" + r.String(), ruleStats(per, nTerms)})
			}
		}
	}
	if cfg.ceiling() {
		c := &CeilingStats{Ratio: cfg.MaxNegRatio, Margin: cfg.MaxNegMargin}
		for _, r := range results {
			if r.AboveCeiling == 0 {
				continue
			}
			c.Removed += r.AboveCeiling
			c.Affected++
			var left int64
			for _, n := range r.Counts {
				left += n
			}
			if left == 0 {
				c.Starved++
			}
		}
		g.Ceiling = c
	}
	reuse.Cap = cfg.MaxNegativeReuse
	rows := make([]int32, 0, len(uses))
	for r := range uses {
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b int32) int {
		if uses[a] != uses[b] {
			return uses[b] - uses[a]
		}
		return int(a - b)
	})
	for _, r := range rows[:min(10, len(rows))] {
		reuse.MostUsed = append(reuse.MostUsed, TermCount{Term: terms[r], Anchors: uses[r]})
	}
	g.Reuse = reuse
	return g
}

// writeExcluded writes one JSON line per excluded candidate beyond the
// anchor and its positives: {"anchor", "term", "rule"}.
func writeExcluded(w io.Writer, cfg Config, terms []string, anchors []source.Anchor, ex exclusions) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	line := func(a, t int32, rule string) {
		buf := append([]byte(`{"anchor": `), output.AppendString(nil, terms[a])...)
		buf = append(buf, `, "term": `...)
		buf = output.AppendString(buf, terms[t])
		buf = append(buf, `, "rule": `...)
		buf = output.AppendString(buf, rule)
		bw.Write(append(buf, "}\n"...))
	}
	graphOn := false
	if r, _ := parseExclude(cfg.Exclude); r.component || r.hops > 1 {
		graphOn = true
	}
	for i, a := range anchors {
		lex := map[int32]guard.Rule{}
		if ex.lexRows != nil {
			for j, t := range ex.lexRows[i] {
				lex[t] = ex.lexRules[i][j]
			}
		}
		for _, t := range ex.lists[i] {
			if t == a.Query || slices.Contains(a.Positives, t) {
				continue
			}
			if r, ok := lex[t]; ok {
				line(a.Query, t, "lexical_"+r.String())
			} else if graphOn {
				line(a.Query, t, cfg.Exclude)
			}
		}
	}
	return bw.Flush()
}
