package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardneg/hardneg/guard"
	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/source"
	"github.com/hardneg/hardneg/synth"
)

// falseNegatives counts the distinct (anchor, negative) pairs a run mined,
// and those of them that are held-out true synonyms, overall and in the
// hard band; it also returns the run's achieved mix.
func falseNegatives(t *testing.T, data, out string) (total, held, hard, heldHard int, mix map[string]float64) {
	t.Helper()
	truth := map[[2]string]bool{}
	b, err := os.ReadFile(filepath.Join(data, synth.HeldOutFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var p struct{ Source, Target string }
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatal(err)
		}
		truth[[2]string{p.Source, p.Target}], truth[[2]string{p.Target, p.Source}] = true, true
	}
	seen := map[[2]string]string{}
	for _, f := range []string{triplets.TrainJSONL, triplets.ValJSONL} {
		for _, r := range readJSONL(t, filepath.Join(out, f)) {
			seen[[2]string{r.Anchor, r.Negative}] = r.Difficulty
		}
	}
	for k, d := range seen {
		total++
		if d == "hard" {
			hard++
		}
		if truth[k] {
			held++
			if d == "hard" {
				heldHard++
			}
		}
	}
	var st struct {
		Mix struct {
			Achieved map[string]float64 `json:"achieved_percent"`
		}
	}
	sb, err := os.ReadFile(filepath.Join(out, mine.StatsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(sb, &st); err != nil {
		t.Fatal(err)
	}
	return total, held, hard, heldHard, st.Mix.Achieved
}

// TestGuardsCutFalseNegatives mines synth data, which holds out a tenth of
// its true synonym pairs, once with the notebook's exclusion rule and once
// with the guards, and wants the share of mined negatives that are held-out
// synonyms cut at least tenfold while the balanced mix stays within 2
// points of its target.
func TestGuardsCutFalseNegatives(t *testing.T) {
	data := synthData(t)
	plain, guarded := t.TempDir(), t.TempDir()
	runCLI(t, "mine", "--data-dir", data, "--out", plain, "-q")
	runCLI(t, append([]string{"mine", "--data-dir", data, "--out", guarded, "-q"}, guardFlags...)...)
	pt, ph, phard, phh, _ := falseNegatives(t, data, plain)
	gt, gh, ghard, ghh, mix := falseNegatives(t, data, guarded)
	t.Logf("notebook rule: %d of %d negatives are held-out synonyms (%.2f%%), %d of %d hard (%.2f%%)",
		ph, pt, 100*float64(ph)/float64(pt), phh, phard, 100*float64(phh)/float64(phard))
	t.Logf("guards %v: %d of %d (%.2f%%), %d of %d hard (%.2f%%), mix %v",
		guardFlags, gh, gt, 100*float64(gh)/float64(gt), ghh, ghard, 100*float64(ghh)/float64(ghard), mix)
	if ph < 20 {
		t.Fatalf("only %d false negatives without guards: the data does not show the problem", ph)
	}
	if share, base := float64(gh)/float64(gt), float64(ph)/float64(pt); share*10 > base {
		t.Errorf("guards cut the false-negative share from %.4f to %.4f, less than tenfold", base, share)
	}
	for band, target := range map[string]float64{"easy": 33, "medium": 33, "hard": 34} {
		if math.Abs(mix[band]-target) > 2 {
			t.Errorf("guarded mix: %s at %.2f%%, want %v ± 2", band, mix[band], target)
		}
	}
}

// guardFlags is the guard setting the closing measurement uses.
var guardFlags = []string{"--exclude", "hops:2", "--relative-margin", "0.05",
	"--exclude-normalized", "--exclude-contains", "2", "--exclude-edit-distance", "1"}

// TestEachGuard runs mine with and without each guard and checks, from the
// written files, that the guard's promise holds with it and is broken
// without it, so that removing the guard fails the test.
func TestEachGuard(t *testing.T) {
	data := synthData(t)
	tr := loadTruth(t, data)
	hops := func(a string, k int) map[string]bool {
		seen := map[string]bool{a: true}
		frontier := []string{a}
		for range k {
			var next []string
			for _, x := range frontier {
				for y := range tr.positives[x] {
					if !seen[y] {
						seen[y] = true
						next = append(next, y)
					}
				}
			}
			frontier = next
		}
		return seen
	}
	lowestPositive := func(a string) float64 {
		low := math.Inf(1)
		for p := range tr.positives[a] {
			low = min(low, tr.cos(a, p))
		}
		return low
	}
	for _, g := range []struct {
		name       string
		flags      []string
		violations func(rows []triplet) int
	}{
		{"hops:2", []string{"--exclude", "hops:2"}, func(rows []triplet) int {
			n := 0
			for _, r := range rows {
				if hops(r.Anchor, 2)[r.Negative] {
					n++
				}
			}
			return n
		}},
		{"component", []string{"--exclude", "component"}, func(rows []triplet) int {
			n := 0
			for _, r := range rows {
				if hops(r.Anchor, 1000)[r.Negative] {
					n++
				}
			}
			return n
		}},
		{"relative-margin", []string{"--relative-margin", "0.05"}, func(rows []triplet) int {
			n := 0
			for _, r := range rows {
				low := lowestPositive(r.Anchor)
				if r.Similarity > low-math.Abs(low)*0.05+1e-5 {
					n++
				}
			}
			return n
		}},
		{"absolute-margin", []string{"--absolute-margin", "0.05"}, func(rows []triplet) int {
			n := 0
			for _, r := range rows {
				if r.Similarity > lowestPositive(r.Anchor)-0.05+1e-5 {
					n++
				}
			}
			return n
		}},
		{"exclude-contains", []string{"--exclude-contains", "2"}, func(rows []triplet) int {
			return lexicalViolations(rows, tr, func(x, y string) bool {
				short, long := x, y
				if len([]rune(short)) > len([]rune(long)) {
					short, long = long, short
				}
				return len([]rune(short)) >= 2 && strings.Contains(long, short)
			})
		}},
		{"exclude-edit-distance", []string{"--exclude-edit-distance", "1"}, func(rows []triplet) int {
			return lexicalViolations(rows, tr, func(x, y string) bool {
				return len([]rune(x)) >= 3 && len([]rune(y)) >= 3 && levenshtein([]rune(x), []rune(y)) <= 1
			})
		}},
		{"max-negative-reuse", []string{"--max-negative-reuse", "2"}, func(rows []triplet) int {
			users := map[string]map[string]bool{}
			for _, r := range rows {
				if users[r.Negative] == nil {
					users[r.Negative] = map[string]bool{}
				}
				users[r.Negative][r.Anchor] = true
			}
			n := 0
			for _, u := range users {
				if len(u) > 2 {
					n++
				}
			}
			return n
		}},
	} {
		t.Run(g.name, func(t *testing.T) {
			without, with := t.TempDir(), t.TempDir()
			runCLI(t, "mine", "--data-dir", data, "--out", without, "-q")
			runCLI(t, append([]string{"mine", "--data-dir", data, "--out", with, "-q"}, g.flags...)...)
			read := func(dir string) []triplet {
				return append(readJSONL(t, filepath.Join(dir, triplets.TrainJSONL)), readJSONL(t, filepath.Join(dir, triplets.ValJSONL))...)
			}
			if n := g.violations(read(without)); n == 0 {
				t.Fatalf("without the guard nothing breaks its rule: the data cannot show it works")
			}
			if n := g.violations(read(with)); n != 0 {
				t.Fatalf("with %v, %d rows break the guard's rule", g.flags, n)
			}
		})
	}
}

// lexicalViolations counts rows whose negative matches the anchor or one of
// its positives, after the guard's normalisation.
func lexicalViolations(rows []triplet, tr *truth, match func(x, y string) bool) int {
	n := 0
	for _, r := range rows {
		neg := guard.Normalize(r.Negative)
		if match(neg, guard.Normalize(r.Anchor)) {
			n++
			continue
		}
		for p := range tr.positives[r.Anchor] {
			if match(neg, guard.Normalize(p)) {
				n++
				break
			}
		}
	}
	return n
}

// levenshtein is the textbook edit distance, independent of the guard's
// banded version.
func levenshtein(a, b []rune) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// TestNormalizedGuard uses a hand-made set where a full-width, spaced copy of
// the anchor is its nearest term: without the guard it is mined as a hard
// negative, with --exclude-normalized it is not.
func TestNormalizedGuard(t *testing.T) {
	dir := t.TempDir()
	terms := `["abc", "abd", "Ａ Ｂ Ｃ", "xyz", "qrs", "uvw"]`
	pairs := `{"source": "abc", "target": "abd"}` + "\n"
	emb := []float32{1, 0, 0, 0.9, 0.44, 0, 0.85, 0.3, 0.43, 0.4, 0.9, 0.1, 0.6, 0.5, 0.6, 0.35, 0.2, 0.9}
	for name, content := range map[string]string{source.TermsFile: terms, source.PairsFile: pairs} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := npy.Write(filepath.Join(dir, source.EmbeddingsFile), 6, 3, emb, npy.Float32); err != nil {
		t.Fatal(err)
	}
	negatives := func(flags ...string) map[string]bool {
		out := t.TempDir()
		runCLI(t, append([]string{"mine", "--data-dir", dir, "--out", out, "-q", "--train-ratio", "1", "--val-ratio", "0"}, flags...)...)
		got := map[string]bool{}
		for _, r := range readJSONL(t, filepath.Join(out, triplets.TrainJSONL)) {
			if r.Anchor == "abc" {
				got[r.Negative] = true
			}
		}
		return got
	}
	if !negatives()["Ａ Ｂ Ｃ"] {
		t.Fatal("without the guard the variant is not mined: the test shows nothing")
	}
	if negatives("--exclude-normalized")["Ａ Ｂ Ｃ"] {
		t.Fatal("--exclude-normalized let the full-width variant of the anchor through")
	}
}

// TestDumpExcluded checks that the dump lists exactly what the stats file
// counts, each line naming its anchor, term and rule.
func TestDumpExcluded(t *testing.T) {
	data := synthData(t)
	out := t.TempDir()
	dump := filepath.Join(t.TempDir(), "excluded.jsonl")
	runCLI(t, "mine", "--data-dir", data, "--out", out, "-q", "--exclude", "hops:2", "--exclude-contains", "2", "--dump-excluded", dump)
	perRule := map[string]int{}
	for _, m := range readLines(t, dump) {
		if m["anchor"] == "" || m["term"] == "" || m["anchor"] == m["term"] {
			t.Fatalf("bad dump line %v", m)
		}
		perRule[m["rule"].(string)]++
	}
	var st struct {
		Guards struct {
			Excluded map[string]struct {
				Total int `json:"candidates_excluded"`
			} `json:"excluded_beyond_positives"`
		}
	}
	b, _ := os.ReadFile(filepath.Join(out, mine.StatsFile))
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if perRule["lexical_contains"] == 0 || perRule["hops:2"] == 0 {
		t.Fatalf("dump counts %v: a rule excluded nothing", perRule)
	}
	// a term both rules exclude is listed under each (TestDumpAgreesWithStats)
	for _, rule := range []string{"lexical_contains", "hops:2"} {
		if got, want := perRule[rule], st.Guards.Excluded[rule].Total; got != want {
			t.Errorf("dump lists %d %s exclusions, stats count %d", got, rule, want)
		}
	}
}
