package guard

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestRuleString(t *testing.T) {
	tests := []struct {
		r    Rule
		want string
	}{
		{RuleNormalized, "normalized"},
		{RuleContains, "contains"},
		{RuleEditDistance, "edit_distance"},
		{Rule(0), "Rule(0)"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("Rule(%d).String() = %q, want %q", tt.r, got, tt.want)
		}
	}
}

func TestExclusions(t *testing.T) {
	all := Rules{Normalized: true, Contains: 2, EditDistance: 1}
	tests := []struct {
		name      string
		terms     []string
		rules     Rules
		anchor    int32
		positives []int32
		want      map[int32]Rule // row -> rule; rows not listed must not come back
	}{
		{
			name:   "contains: 증상 inside 임상증상, one syllable is too short",
			terms:  []string{"임상증상", "증상", "상", "임상", "치료", "증세"},
			rules:  Rules{Contains: 2},
			anchor: 0,
			want:   map[int32]Rule{1: RuleContains, 3: RuleContains},
		},
		{
			name:   "contains: terms around the anchor",
			terms:  []string{"증상", "임상증상", "증상군", "증후군", "증 상"},
			rules:  Rules{Contains: 2},
			anchor: 0,
			want:   map[int32]Rule{1: RuleContains, 2: RuleContains, 4: RuleContains},
		},
		{
			name:   "contains: 니콜라이 and 니콜",
			terms:  []string{"니콜라이", "니콜", "니키", "콜라", "라이언"},
			rules:  Rules{Contains: 2},
			anchor: 0,
			want:   map[int32]Rule{1: RuleContains, 3: RuleContains},
		},
		{
			name:   "contains: 사천 inside 사천면",
			terms:  []string{"사천", "사천면", "사철"},
			rules:  Rules{Contains: 2},
			anchor: 0,
			want:   map[int32]Rule{1: RuleContains},
		},
		{
			name:   "contains: minimum 3 leaves the two-syllable 사천 alone",
			terms:  []string{"사천면", "사천", "사천면사무소"},
			rules:  Rules{Contains: 3},
			anchor: 0,
			want:   map[int32]Rule{2: RuleContains},
		},
		{
			name:   "contains: minimum 3 applies to the shorter, here the anchor",
			terms:  []string{"사천", "사천면", "사천면사무소"},
			rules:  Rules{Contains: 3},
			anchor: 0,
			want:   map[int32]Rule{},
		},
		{
			name:   "contains: minimum 1 takes single syllables",
			terms:  []string{"사천", "사", "천", "면"},
			rules:  Rules{Contains: 1},
			anchor: 0,
			want:   map[int32]Rule{1: RuleContains, 2: RuleContains},
		},
		{
			name:   "contains: compares normalised forms",
			terms:  []string{"Foo Bar", "ＦＯＯ", "bar baz", "oob"},
			rules:  Rules{Contains: 3},
			anchor: 0,
			want:   map[int32]Rule{1: RuleContains, 3: RuleContains},
		},
		{
			name:   "normalized: full width, case and spacing",
			terms:  []string{"abc", "ＡＢＣ", "A B C", "abcd", "abd", "Foo Bar"},
			rules:  Rules{Normalized: true},
			anchor: 0,
			want:   map[int32]Rule{1: RuleNormalized, 2: RuleNormalized},
		},
		{
			name:   "normalized: Foo Bar and foobar",
			terms:  []string{"Foo Bar", "foobar", "FOO\u3000BAR", "foo-bar"},
			rules:  Rules{Normalized: true},
			anchor: 0,
			want:   map[int32]Rule{1: RuleNormalized, 2: RuleNormalized},
		},
		{
			name:      "normalized: compatibility jamo and Hanja",
			terms:     []string{"ㄱㅏ", "가", "\uf914", "\u6a02", "각"},
			rules:     Rules{Normalized: true},
			anchor:    0,
			positives: []int32{2},
			want:      map[int32]Rule{1: RuleNormalized, 3: RuleNormalized},
		},
		{
			name:   "normalized: terms that normalise to nothing match nothing",
			terms:  []string{" ", "\u3000", "", "a"},
			rules:  Rules{Normalized: true},
			anchor: 0,
			want:   map[int32]Rule{},
		},
		{
			name:   "edit distance: 야당 and 야수 when two-rune terms are allowed",
			terms:  []string{"야당", "야수", "여당", "야당원", "수당", "여야"},
			rules:  Rules{EditDistance: 1, EditMinRunes: 2},
			anchor: 0,
			want:   map[int32]Rule{1: RuleEditDistance, 2: RuleEditDistance, 3: RuleEditDistance, 4: RuleEditDistance},
		},
		{
			name:   "edit distance: two-rune terms are left out by default",
			terms:  []string{"야당", "야수", "여당", "야당원"},
			rules:  Rules{EditDistance: 1},
			anchor: 0,
			want:   map[int32]Rule{},
		},
		{
			name:   "edit distance: the candidate must be long enough too",
			terms:  []string{"야당원", "야당", "야당원들", "여당원"},
			rules:  Rules{EditDistance: 1},
			anchor: 0,
			want:   map[int32]Rule{2: RuleEditDistance, 3: RuleEditDistance},
		},
		{
			name:   "edit distance 1: substitution, insertion, deletion; not 2",
			terms:  []string{"대한민국", "대한민족", "대한민국인", "대한국", "대한제도", "한민국대"},
			rules:  Rules{EditDistance: 1},
			anchor: 0,
			want:   map[int32]Rule{1: RuleEditDistance, 2: RuleEditDistance, 3: RuleEditDistance},
		},
		{
			name:   "edit distance 2, two-rune 대한 too short, 민국대한 too far",
			terms:  []string{"대한민국", "대한민족", "대한제도", "대한", "한민국대", "미국", "민국대한"},
			rules:  Rules{EditDistance: 2},
			anchor: 0,
			want:   map[int32]Rule{1: RuleEditDistance, 2: RuleEditDistance, 4: RuleEditDistance},
		},
		{
			name:   "edit distance: latin after folding",
			terms:  []string{"Colour", "color", "COLOURS", "collar"},
			rules:  Rules{EditDistance: 1},
			anchor: 0,
			want:   map[int32]Rule{1: RuleEditDistance, 2: RuleEditDistance},
		},
		{
			name:   "first rule wins: normalized before contains before edit distance",
			terms:  []string{"abcd", "ABCD", "abcde", "abxd", "xyz"},
			rules:  all,
			anchor: 0,
			want:   map[int32]Rule{1: RuleNormalized, 2: RuleContains, 3: RuleEditDistance},
		},
		{
			name:      "first rule wins across query terms",
			terms:     []string{"고혈압", "abcd", "abxd", "ABXD"},
			rules:     all,
			anchor:    0,
			positives: []int32{1},
			want:      map[int32]Rule{2: RuleEditDistance, 3: RuleEditDistance},
		},
		{
			name:      "variants of a positive count",
			terms:     []string{"고혈압", "사천면", "사천", "면사무소"},
			rules:     Rules{Contains: 2},
			anchor:    0,
			positives: []int32{1},
			want:      map[int32]Rule{2: RuleContains},
		},
		{
			name:      "the anchor and positives never come back, other copies do",
			terms:     []string{"증상", "임상증상", "증상", "증상들"},
			rules:     all,
			anchor:    0,
			positives: []int32{1, 3},
			want:      map[int32]Rule{2: RuleNormalized},
		},
		{
			name:   "zero rules exclude nothing",
			terms:  []string{"abc", "abc", "ABC", "abcd"},
			rules:  Rules{},
			anchor: 0,
			want:   map[int32]Rule{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ix := NewIndex(tt.terms, tt.rules)
			rows, rules := ix.Exclusions(tt.anchor, tt.positives)
			got := map[int32]Rule{}
			for i, r := range rows {
				got[r] = rules[i]
			}
			for row, want := range tt.want {
				if got[row] != want {
					t.Errorf("row %d %q: rule %v, want %v", row, tt.terms[row], got[row], want)
				}
			}
			for row, r := range got {
				if _, ok := tt.want[row]; !ok {
					t.Errorf("row %d %q excluded by %v, want kept", row, tt.terms[row], r)
				}
			}
			if !slices.IsSorted(rows) || len(slices.Compact(slices.Clone(rows))) != len(rows) {
				t.Errorf("rows %v not sorted and distinct", rows)
			}
			// A second query on the same searcher must not see the first's marks.
			rows2, rules2 := ix.Exclusions(tt.anchor, tt.positives)
			if !slices.Equal(rows, rows2) || !slices.Equal(rules, rules2) {
				t.Errorf("second query: %v %v, first %v %v", rows2, rules2, rows, rules)
			}
		})
	}
}

func TestNewIndexPanicsOnBadRules(t *testing.T) {
	tests := []struct {
		name  string
		rules Rules
	}{
		{"edit distance above the maximum", Rules{EditDistance: MaxEditDistance + 1}},
		{"negative contains", Rules{Contains: -1}},
		{"negative edit distance", Rules{EditDistance: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("NewIndex(%+v) did not panic", tt.rules)
				}
			}()
			NewIndex([]string{"a"}, tt.rules)
		})
	}
}

func TestWithinDistance(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []rune("ab가나")
	word := func() []rune {
		r := make([]rune, rng.IntN(9))
		for i := range r {
			r[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return r
	}
	row := make([]int, 16)
	for range 20000 {
		a, b := word(), word()
		d := levenshtein(a, b)
		for k := 0; k <= 4; k++ {
			if got := withinDistance(a, b, k, row); got != (d <= k) {
				t.Fatalf("withinDistance(%q, %q, %d) = %v, distance %d", string(a), string(b), k, got, d)
			}
		}
	}
}

// levenshtein is the textbook dynamic programme, one row at a time.
func levenshtein(a, b []rune) int {
	var buf [64]int
	row := buf[:0]
	for j := 0; j <= len(b); j++ {
		row = append(row, j)
	}
	for i := 1; i <= len(a); i++ {
		diag := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			diag, row[j] = row[j], min(row[j]+1, row[j-1]+1, diag+c)
		}
	}
	return row[len(b)]
}

func ExampleIndex_Exclusions() {
	terms := []string{"임상증상", "증상", "임상 증상", "치료", "임상증세"}
	ix := NewIndex(terms, Rules{Normalized: true, Contains: 2, EditDistance: 1})
	rows, rules := ix.Exclusions(0, []int32{3})
	for i, r := range rows {
		fmt.Println(terms[r], rules[i])
	}
	// Output:
	// 증상 contains
	// 임상 증상 normalized
	// 임상증세 edit_distance
}
