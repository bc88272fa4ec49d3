package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardneg/hardneg/mine"
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
	for _, f := range []string{mine.TrainJSONL, mine.ValJSONL} {
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
var guardFlags = []string{"--exclude", "hops:2", "--max-neg-ratio", "0.93"}

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
		{"max-neg-ratio", []string{"--max-neg-ratio", "0.95"}, func(rows []triplet) int {
			n := 0
			for _, r := range rows {
				if r.Similarity > 0.95*lowestPositive(r.Anchor)+1e-5 {
					n++
				}
			}
			return n
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
				return append(readJSONL(t, filepath.Join(dir, mine.TrainJSONL)), readJSONL(t, filepath.Join(dir, mine.ValJSONL))...)
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
