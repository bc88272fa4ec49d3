package guard

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// mixedVocab makes n distinct terms in Hangul (from few syllables, so that
// containment and small edits are common), Hanja (compatibility forms
// included), Latin (full width, mixed case), compatibility jamo, multi-word
// terms, and mutations of earlier terms.
func mixedVocab(rng *rand.Rand, n int) []string {
	pieces := [][]rune{
		[]rune("가나다라마사천면증상임"),
		[]rune("學校樂\uf914大韓"),
		[]rune("abcABCＡｂ"),
		[]rune("ㄱㅏㄴ가"),
	}
	word := func() string {
		p := pieces[rng.IntN(len(pieces))]
		if rng.IntN(3) > 0 {
			p = pieces[0]
		}
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			b.WriteRune(p[rng.IntN(len(p))])
		}
		return b.String()
	}
	spaces := []string{" ", "\u3000", "  "}
	seen := map[string]bool{}
	var terms []string
	for len(terms) < n {
		var t string
		switch c := rng.IntN(10); {
		case c < 4 || len(terms) == 0:
			t = word()
		case c < 5:
			t = word() + spaces[rng.IntN(len(spaces))] + word()
		default: // mutate an earlier term
			r := []rune(terms[rng.IntN(len(terms))])
			i := rng.IntN(len(r) + 1)
			switch rng.IntN(6) {
			case 0:
				if i < len(r) {
					r = slices.Delete(r, i, i+1)
				}
			case 1:
				r = slices.Insert(r, i, []rune(word())[0])
			case 2:
				if i < len(r) {
					r[i] = []rune(word())[0]
				}
			case 3:
				r = append([]rune(word()), r...)
			case 4:
				r = slices.Insert(r, i, ' ')
			case 5:
				r = []rune(strings.ToUpper(string(r)))
			}
			t = string(r)
		}
		if t != "" && !seen[t] {
			seen[t] = true
			terms = append(terms, t)
		}
	}
	terms[rng.IntN(n)] = " " // one term that normalises to nothing
	return terms
}

// bruteExclusions is the reference: every row against every query term,
// straight from the definitions in Rules.
func bruteExclusions(norms []string, runes [][]rune, r Rules, anchor int32, positives []int32) ([]int32, []Rule) {
	queries := append([]int32{anchor}, positives...)
	var (
		rows  []int32
		rules []Rule
	)
	for row := range norms {
		if slices.Contains(queries, int32(row)) {
			continue
		}
		t := norms[row]
		var best Rule
		for _, q := range queries {
			s := norms[q]
			var m Rule
			switch {
			case r.Normalized && s != "" && s == t:
				m = RuleNormalized
			case r.Contains > 0 && bruteContains(s, t, r.Contains):
				m = RuleContains
			case r.EditDistance > 0 && len(runes[q]) >= r.editMinRunes() &&
				len(runes[row]) >= r.editMinRunes() &&
				levenshtein(runes[q], runes[row]) <= r.EditDistance:
				m = RuleEditDistance
			}
			if m != 0 && (best == 0 || m < best) {
				best = m
			}
		}
		if best != 0 {
			rows = append(rows, int32(row))
			rules = append(rules, best)
		}
	}
	return rows, rules
}

func bruteContains(a, b string, minRunes int) bool {
	if utf8.RuneCountInString(a) > utf8.RuneCountInString(b) {
		a, b = b, a
	}
	return utf8.RuneCountInString(a) >= minRunes && strings.Contains(b, a)
}

// randomQueries picks n anchors with 0 to 4 positives each.
func randomQueries(rng *rand.Rand, vocab, n int) ([]int32, [][]int32) {
	anchors := make([]int32, n)
	positives := make([][]int32, n)
	for i := range anchors {
		anchors[i] = int32(rng.IntN(vocab))
		for range rng.IntN(5) {
			p := int32(rng.IntN(vocab))
			if p != anchors[i] && !slices.Contains(positives[i], p) {
				positives[i] = append(positives[i], p)
			}
		}
	}
	return anchors, positives
}

func TestExclusionsAgreeWithBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	terms := mixedVocab(rng, 2000)
	norms := make([]string, len(terms))
	runes := make([][]rune, len(terms))
	for i, s := range terms {
		norms[i] = Normalize(s)
		runes[i] = []rune(norms[i])
	}
	anchors, positives := randomQueries(rng, len(terms), 150)
	settings := []struct {
		name  string
		rules Rules
	}{
		{"normalized", Rules{Normalized: true}},
		{"contains 1", Rules{Contains: 1}},
		{"contains 2", Rules{Contains: 2}},
		{"contains 3", Rules{Contains: 3}},
		{"edit 1", Rules{EditDistance: 1}},
		{"edit 1 min 2", Rules{EditDistance: 1, EditMinRunes: 2}},
		{"edit 2", Rules{EditDistance: 2}},
		{"edit 3 min 1", Rules{EditDistance: 3, EditMinRunes: 1}},
		{"all, edit 1", Rules{Normalized: true, Contains: 2, EditDistance: 1}},
		{"all, edit 2 min 4", Rules{Normalized: true, Contains: 3, EditDistance: 2, EditMinRunes: 4}},
	}
	for _, st := range settings {
		t.Run(st.name, func(t *testing.T) {
			ix := NewIndex(terms, st.rules)
			count := map[Rule]int{}
			for i, a := range anchors {
				gotRows, gotRules := ix.Exclusions(a, positives[i])
				wantRows, wantRules := bruteExclusions(norms, runes, st.rules, a, positives[i])
				if !slices.Equal(gotRows, wantRows) || !slices.Equal(gotRules, wantRules) {
					t.Fatalf("anchor %d %q positives %v:\n got  %v %v\n want %v %v",
						a, terms[a], positives[i], gotRows, gotRules, wantRows, wantRules)
				}
				for _, r := range gotRules {
					count[r]++
				}
			}
			// Each rule that is on must have fired, or the test proves little.
			for r, on := range map[Rule]bool{
				RuleNormalized:   st.rules.Normalized,
				RuleContains:     st.rules.Contains > 0,
				RuleEditDistance: st.rules.EditDistance > 0,
			} {
				if on && count[r] < 20 {
					t.Errorf("rule %v fired %d times; the vocabulary does not exercise it", r, count[r])
				}
			}
		})
	}
}

func TestExclusionsAllDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	terms := mixedVocab(rng, 3000)
	anchors, positives := randomQueries(rng, len(terms), 1500)
	ix := NewIndex(terms, Rules{Normalized: true, Contains: 2, EditDistance: 2})
	wantRows := make([][]int32, len(anchors))
	wantRules := make([][]Rule, len(anchors))
	for i, a := range anchors {
		wantRows[i], wantRules[i] = ix.Exclusions(a, positives[i])
	}
	for _, threads := range []int{0, 1, 2, 3, 8, 64} {
		gotRows, gotRules := ix.ExclusionsAll(anchors, positives, threads)
		if !reflect.DeepEqual(gotRows, wantRows) || !reflect.DeepEqual(gotRules, wantRules) {
			t.Errorf("threads %d: result differs from one query at a time", threads)
		}
	}
	// A second index over the same terms (new hash seed, new map order)
	// gives the same answer.
	ix2 := NewIndex(terms, Rules{Normalized: true, Contains: 2, EditDistance: 2})
	gotRows, gotRules := ix2.ExclusionsAll(anchors, positives, 4)
	if !reflect.DeepEqual(gotRows, wantRows) || !reflect.DeepEqual(gotRules, wantRules) {
		t.Errorf("a second index differs from the first")
	}
}
