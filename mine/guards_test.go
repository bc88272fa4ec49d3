package mine

import (
	"slices"
	"testing"

	"github.com/hardneg/hardneg/sample"
	"github.com/hardneg/hardneg/scan"
	"github.com/hardneg/hardneg/source"
	"github.com/hardneg/hardneg/split"
)

// chain links terms 0-1-2-...-(n-1): one giant component, as synonym graphs
// that chain through shared words have; terms n.. are in no pair.
func chain(n int) []source.Anchor {
	var out []source.Anchor
	for t := 0; t < n; t++ {
		var pos []int32
		if t > 0 {
			pos = append(pos, int32(t-1))
		}
		if t < n-1 {
			pos = append(pos, int32(t+1))
		}
		out = append(out, source.Anchor{Query: int32(t), Positives: pos})
	}
	return out
}

func TestExclusionRules(t *testing.T) {
	const n, nTerms = 1000, 1200
	anchors := chain(n)
	comp, err := split.Components(nTerms, anchors)
	if err != nil {
		t.Fatal(err)
	}
	mid := 500
	for _, tc := range []struct {
		rule    string
		want    int // exclusions of the middle anchor, itself included
		beyond  int // beyond its positives
		legitOK bool
	}{
		{"positives", 3, 0, true},
		{"hops:2", 5, 2, true},
		{"hops:5", 11, 8, true},
		{"component", n, n - 3, false},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			r, err := parseExclude(tc.rule)
			if err != nil {
				t.Fatal(err)
			}
			ex := buildExclusions(r, nTerms, anchors, comp)
			l := ex.lists[mid]
			if len(l) != tc.want || ex.graph[mid] != tc.beyond || !slices.IsSorted(l) {
				t.Fatalf("anchor %d excludes %d terms (%d beyond positives), want %d (%d)", mid, len(l), ex.graph[mid], tc.want, tc.beyond)
			}
			for _, must := range []int32{int32(mid), int32(mid - 1), int32(mid + 1)} {
				if _, ok := slices.BinarySearch(l, must); !ok {
					t.Fatalf("the anchor or a positive (%d) is not excluded", must)
				}
			}
			// a term 100 links away is a legitimate candidate: hops keep it,
			// the giant component throws it away
			_, gone := slices.BinarySearch(l, int32(mid+100))
			if gone == tc.legitOK {
				t.Fatalf("term 100 links away excluded: %v", gone)
			}
			st := ruleStats(ex.graph, nTerms)
			if tc.rule == "component" && st.Over1Percent != n {
				t.Fatalf("component: %d anchors lose over 1%% of candidates, want all %d", st.Over1Percent, n)
			}
			if tc.rule != "component" && st.Over1Percent != 0 {
				t.Fatalf("%s: %d anchors over 1%%", tc.rule, st.Over1Percent)
			}
		})
	}
	for _, bad := range []string{"hops:0", "hops:x", "graph", "hops:-1"} {
		if _, err := parseExclude(bad); err == nil {
			t.Errorf("parseExclude(%q) accepted", bad)
		}
	}
}

func TestCapReuse(t *testing.T) {
	picks := [][]scan.Pick{{{Row: 1, Key: 1}, {Row: 2, Key: 2}, {Row: 3, Key: 3}}, {{Row: 7, Key: 1}}}
	uses := map[int32]int{1: 2, 7: 2}
	var st ReuseStats
	got := capReuse([]sample.Negative{{Row: 1, Band: 0}, {Row: 7, Band: 1}, {Row: 2, Band: 0}}, picks, uses, 2, &st)
	// 1 is at the cap: replaced by 3 (2 is already chosen); 7 has no
	// replacement in its band: dropped.
	want := []sample.Negative{{Row: 3, Band: 0}, {Row: 2, Band: 0}}
	if !slices.Equal(got, want) || st.Replaced != 1 || st.Dropped != 1 {
		t.Fatalf("capReuse = %v (%+v), want %v with 1 replaced, 1 dropped", got, st, want)
	}
}

func TestCeilings(t *testing.T) {
	anchors := []source.Anchor{{Query: 0, Positives: []int32{1, 2}}, {Query: 3, Positives: []int32{4}}}
	sims := map[[2]int32]float32{{0, 1}: 0.9, {0, 2}: 0.6, {3, 4}: 0.8}
	pos := func(a, p int32) float32 { return sims[[2]int32{a, p}] }
	cfg := DefaultConfig("d")
	cfg.MaxNegRatio = 0.95
	got := ceilings(cfg, anchors, pos)
	if got[0] != float32(0.95*float64(float32(0.6))) || got[1] != float32(0.95*float64(float32(0.8))) {
		t.Fatalf("ceilings %v", got)
	}
	cfg.MaxNegMargin = 0.035 // lower than the ratio's for the first anchor only
	got = ceilings(cfg, anchors, pos)
	if got[0] != float32(float64(float32(0.6))-0.035) || got[1] != float32(0.95*float64(float32(0.8))) {
		t.Fatalf("ceilings with a margin %v", got)
	}
}
