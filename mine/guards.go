package mine

import (
	"bufio"
	"io"
	"slices"

	"github.com/hardneg/hardneg/guard"
	"github.com/hardneg/hardneg/output"
	"github.com/hardneg/hardneg/source"
)

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

func ruleStats(perAnchor []int, nCorpus int) RuleStats {
	var s RuleStats
	for _, n := range perAnchor {
		if n <= 0 {
			continue
		}
		s.Anchors++
		s.Total += n
		s.Max = max(s.Max, n)
		if float64(n) > 0.01*float64(nCorpus) {
			s.Over1Percent++
		}
	}
	return s
}

// GuardStats reports what the false-negative guards did.
type GuardStats struct {
	Exclude guard.GraphRule `json:"exclude"`
	// Excluded counts, per rule, the candidates it removed beyond the
	// anchor and its positives.
	Excluded Object `json:"excluded_beyond_positives"`
	// Limits reports the score limits and margins, when set.
	Limits *LimitStats `json:"limits,omitempty"`
	// NearDuplicates reports the near-duplicate guard, when on.
	NearDuplicates *NearDuplicateStats `json:"near_duplicates,omitempty"`
	Reuse          ReuseStats          `json:"reuse"`
}

// LimitStats reports the score limits: the candidates in a band above the
// ceiling (the margins and max-score) and below the floor (min-score), the
// anchors that lost any, and the anchors left without a candidate.
type LimitStats struct {
	guard.Limits
	AboveCeiling int64 `json:"candidates_above_ceiling"`
	BelowFloor   int64 `json:"candidates_below_floor"`
	Affected     int   `json:"anchors_affected"`
	Starved      int   `json:"anchors_starved"`
}

// NearDuplicateStats reports the near-duplicate guard.
type NearDuplicateStats struct {
	Threshold float64 `json:"threshold"`
	Removed   int64   `json:"candidates_removed"`
	Affected  int     `json:"anchors_affected"`
}

// ReuseStats reports how often items serve as negatives.
type ReuseStats struct {
	Cap      int         `json:"max_negative_reuse"`
	Replaced int         `json:"replaced"`
	Dropped  int         `json:"dropped"`
	MostUsed []TermCount `json:"most_used"`
}

// TermCount is an item (a term, or a document's id) and how many anchors
// use it as a negative.
type TermCount struct {
	Term    string `json:"term"`
	Anchors int    `json:"anchors"`
}

func guardStats(s Settings, sc *scanned, c chosen) GuardStats {
	p := sc.problem
	g := GuardStats{Exclude: s.Exclude}
	counter := func(k int) []int {
		per := make([]int, len(sc.guards))
		for i, gc := range sc.guards {
			per[i] = int(gc[k])
		}
		return per
	}
	if s.Exclude.Beyond() {
		g.Excluded = append(g.Excluded, Field{s.Exclude.String(), ruleStats(counter(guardGraph), p.Corpus.Len())})
	}
	for _, r := range []struct {
		rule guard.Rule
		k    int
	}{{guard.RuleNormalized, guardNormalized}, {guard.RuleContains, guardContains}, {guard.RuleEditDistance, guardEditDistance}} {
		if s.Lexical.RuleOn(r.rule) {
			g.Excluded = append(g.Excluded, Field{"lexical_" + r.rule.String(), ruleStats(counter(r.k), p.Corpus.Len())})
		}
	}
	if s.Limits.On() {
		l := &LimitStats{Limits: s.Limits}
		for i, r := range sc.results {
			if r.AboveCeiling+r.BelowFloor == 0 {
				continue
			}
			l.AboveCeiling += r.AboveCeiling
			l.BelowFloor += r.BelowFloor
			l.Affected++
			var left int64
			for _, n := range c.pools[i] {
				left += n
			}
			if left == 0 {
				l.Starved++
			}
		}
		g.Limits = l
	}
	if s.NearDuplicates > 0 {
		nd := &NearDuplicateStats{Threshold: s.NearDuplicates}
		for _, r := range sc.results {
			if r.NearDuplicates > 0 {
				nd.Removed += r.NearDuplicates
				nd.Affected++
			}
		}
		g.NearDuplicates = nd
	}
	reuse := c.reuse
	reuse.Cap = s.MaxNegativeReuse
	rows := make([]int32, 0, len(c.uses))
	for r := range c.uses {
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b int32) int {
		if c.uses[a] != c.uses[b] {
			return c.uses[b] - c.uses[a]
		}
		return int(a - b)
	})
	for _, r := range rows[:min(10, len(rows))] {
		reuse.MostUsed = append(reuse.MostUsed, TermCount{Term: p.Corpus.ID(r), Anchors: c.uses[r]})
	}
	g.Reuse = reuse
	return g
}

// writeExcluded writes one JSON line per candidate and rule that excluded
// it beyond the anchor and its positives: {"anchor", "term", "rule"}, in
// anchor order, then row order. A candidate that the graph rule and a
// lexical rule both exclude has a line for each, so the lines per rule are
// the stats file's candidates_excluded for that rule. The score limits and
// the near-duplicate guard act in the scan and are only counted.
func writeExcluded(w io.Writer, s Settings, p *source.Problem, ex *guard.Exclusions) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	line := func(a, t int32, rule string) {
		buf := append([]byte(`{"anchor": `), output.AppendString(nil, p.Queries.ID(a))...)
		buf = append(buf, `, "term": `...)
		buf = output.AppendString(buf, p.Corpus.ID(t))
		buf = append(buf, `, "rule": `...)
		buf = output.AppendString(buf, rule)
		bw.Write(append(buf, "}\n"...))
	}
	for i, a := range p.Anchors {
		var g []int32
		if s.Exclude.Beyond() {
			g = ex.GraphLists[i]
		}
		var lex []int32
		var rules []guard.Rule
		if ex.LexRows != nil {
			lex, rules = ex.LexRows[i], ex.LexRules[i]
		}
		// Both lists are sorted: walk them together.
		for gi, li := 0, 0; gi < len(g) || li < len(lex); {
			switch {
			case li >= len(lex) || (gi < len(g) && g[gi] <= lex[li]):
				t := g[gi]
				gi++
				if (p.Same() && t == a.Query) || slices.Contains(a.Positives, t) {
					continue
				}
				line(a.Query, t, s.Exclude.String())
			default:
				line(a.Query, lex[li], "lexical_"+rules[li].String())
				li++
			}
		}
	}
	return bw.Flush()
}
