package guard

import (
	"slices"
	"testing"

	"github.com/hardneg/hardneg/source"
)

// chain links terms 0-1-2-...-(n-1): one giant component, as synonym graphs
// that chain through shared words have; terms n.. are in no pair.
func chain(n, nTerms int) *source.Problem {
	var anchors []source.Anchor
	for t := 0; t < n; t++ {
		var pos []int32
		if t > 0 {
			pos = append(pos, int32(t-1))
		}
		if t < n-1 {
			pos = append(pos, int32(t+1))
		}
		anchors = append(anchors, source.Anchor{Query: int32(t), Positives: pos})
	}
	terms := make([]string, nTerms)
	for i := range terms {
		terms[i] = string(rune('가' + i))
	}
	side, err := source.NewTerms(terms)
	if err != nil {
		panic(err)
	}
	return &source.Problem{Queries: side, Corpus: side, Anchors: anchors}
}

func TestExclusionRules(t *testing.T) {
	const n, nTerms = 1000, 1200
	p := chain(n, nTerms)
	comp, err := Components(p)
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
			r, err := ParseGraphRule(tc.rule)
			if err != nil || r.String() != tc.rule {
				t.Fatalf("ParseGraphRule(%q) = %v, %v", tc.rule, r, err)
			}
			ex, err := Exclude(p, r, comp, Rules{}, 2)
			if err != nil {
				t.Fatal(err)
			}
			l := ex.Lists[mid]
			if len(l) != tc.want || ex.Graph[mid] != tc.beyond || !slices.IsSorted(l) {
				t.Fatalf("anchor %d excludes %d terms (%d beyond positives), want %d (%d)", mid, len(l), ex.Graph[mid], tc.want, tc.beyond)
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
		})
	}
	for _, bad := range []string{"hops:0", "hops:x", "graph", "hops:-1", "hops:101"} {
		if _, err := ParseGraphRule(bad); err == nil {
			t.Errorf("ParseGraphRule(%q) accepted", bad)
		}
	}
}

// TestGraphRuleAcrossSides uses queries and documents of their own: q0 and
// q1 share document d1, so d2 (q1's other positive) is 3 links from q0;
// hops:2 reaches no further document than hops:1, hops:3 reaches d2, and
// the component takes d0..d2 but not d3.
func TestGraphRuleAcrossSides(t *testing.T) {
	queries, _ := source.NewTerms([]string{"q0", "q1", "q2"})
	corpus, _ := source.NewTerms([]string{"d0", "d1", "d2", "d3"})
	p := &source.Problem{Queries: queries, Corpus: corpus, Anchors: []source.Anchor{
		{Query: 0, Positives: []int32{0, 1}},
		{Query: 1, Positives: []int32{1, 2}},
		{Query: 2, Positives: []int32{3}},
	}}
	comp, err := Components(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		rule string
		want []int32
	}{
		{"positives", []int32{0, 1}}, {"hops:2", []int32{0, 1}}, {"hops:3", []int32{0, 1, 2}}, {"component", []int32{0, 1, 2}},
	} {
		r, _ := ParseGraphRule(tc.rule)
		ex, err := Exclude(p, r, comp, Rules{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ex.Lists[0], tc.want) || ex.Graph[0] != len(tc.want)-2 {
			t.Errorf("%s: q0 excludes %v (%d beyond), want %v", tc.rule, ex.Lists[0], ex.Graph[0], tc.want)
		}
	}
	if _, err := Exclude(p, PositivesOnly, comp, Rules{Normalized: true}, 1); err == nil {
		t.Error("lexical rules were accepted for documents")
	}
}
