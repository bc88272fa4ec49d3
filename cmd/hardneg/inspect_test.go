package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/source"
)

// runInspect runs 'hardneg inspect ARGS' through run.
func runInspect(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	err = run(context.Background(), &out, &errb, append([]string{"inspect"}, args...))
	return out.String(), errb.String(), err
}

func TestInspectPrintsTheReport(t *testing.T) {
	dir := synthData(t)
	out, _, err := runInspect(t, "--data-dir", dir, "--absolute-margin", "0.05")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Inspected 200 of ",
		"Similarity of each sampled anchor to its candidates",
		"Similarity of each sampled anchor to its positives",
		"█",
		"band     range",
		"easy     [0.3, 0.5)",
		"medium   [0.5, 0.7)",
		"hard     [0.7, 0.9)",
		"Score limits: keep a candidate only if s <= s+ - 0.05 (s+: the anchor's lowest positive similarity)",
		"Advice:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	t.Logf("\n%s", out)

	// Flags reach the options: other bands, sample and seed.
	out, _, err = runInspect(t, "--data-dir", dir, "--sample", "10", "--seed", "7", "--hard-range", "0.7,0.95", "-n", "8", "--threads", "1")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`Inspected 10 of `, `\(seed 7\)`, `for 8 negatives per anchor`, `hard +\[0\.7, 0\.95\) +0\.34 +2\.72 `} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	out, _, err = runInspect(t, "--data-dir", dir, "--band", "near:0.6:0.95:1")
	if err != nil || !strings.Contains(out, "near     [0.6, 0.95)") {
		t.Errorf("--band: %v\n%s", err, out)
	}
}

func TestInspectExitCodes(t *testing.T) {
	good := synthData(t)
	broken := t.TempDir()
	for _, n := range []string{source.TermsFile, source.EmbeddingsFile} {
		copyFile(t, filepath.Join(good, n), filepath.Join(broken, n))
	}
	if err := os.WriteFile(filepath.Join(broken, source.PairsFile), []byte("{\"source\": 1}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
	}{
		{"no data", nil, exitUsage},
		{"missing folder", []string{"--data-dir", filepath.Join(t.TempDir(), "none")}, exitInput},
		{"bad pairs", []string{"--data-dir", broken}, exitInput},
		{"bad range", []string{"--data-dir", good, "--hard-range", "0.9"}, exitUsage},
		{"overlapping bands", []string{"--data-dir", good, "--medium-range", "0.45,0.7"}, exitUsage},
		{"band and range", []string{"--data-dir", good, "--band", "x:0.1:0.2:1", "--easy-ratio", "0.5"}, exitUsage},
		{"zero sample", []string{"--data-dir", good, "--sample", "0"}, exitUsage},
		{"negative margin", []string{"--data-dir", good, "--max-neg-margin", "-1"}, exitUsage},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runInspect(t, tc.args...)
			if got := exitCode(err); got != tc.code {
				t.Errorf("exit %d (%v), want %d", got, err, tc.code)
			}
			if tc.code == exitInput {
				if !errors.Is(err, mine.ErrInput) || strings.Count(err.Error(), "invalid input") != 1 {
					t.Errorf("err = %v, want one mine.ErrInput", err)
				}
			}
		})
	}
	_, _, err := runInspect(t, "--data-dir", broken)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(broken, source.PairsFile)) || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("err = %v, want it to name the pairs file and line 1", err)
	}
}

// TestInspectCorpus inspects queries against a corpus, with the guards: the
// report counts documents, and the near-duplicate guard shows what it drops.
func TestInspectCorpus(t *testing.T) {
	data := beirDir(t)
	out, _, err := runInspect(t, "--beir-dir", data, "--exclude-near-duplicates", "0.95", "--relative-margin", "0.05", "--sample", "50")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Inspected 50 of 200 anchors (seed 42) against 4,000 documents x 48 dims",
		"every document the guards leave it",
		"the near-duplicate guard dropped",
		"Score limits: keep a candidate only if s <= s+ - |s+| x 0.05",
		"hard     [0.7, 0.9)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
	// the positives sit at 0.76 to 0.9, inside the hard band: a warning
	if !strings.Contains(out, "hard: ") || !strings.Contains(out, "of the positives lie inside this band") {
		t.Errorf("no warning about positives inside the hard band:\n%s", out)
	}
}

// TestManyBands mines with more bands than an int8 label could index: the
// labels follow the similarities and nothing panics.
func TestManyBands(t *testing.T) {
	args := []string{"mine", "--data-dir", goldenData, "--out", t.TempDir(), "-q", "--quota", "notebook", "-n", "3"}
	const n = 200
	for i := range n {
		lo, hi := -1+2*float64(i)/n, -1+2*float64(i+1)/n
		ratio := 0.0
		if i == n-1 {
			ratio = 1
		}
		args = append(args, "--band", fmt.Sprintf("b%03d:%g:%g:%g", i, lo, hi, ratio))
	}
	out := args[4]
	runCLI(t, args...)
	rows := readJSONL(t, filepath.Join(out, triplets.TrainJSONL))
	if len(rows) == 0 {
		t.Fatal("no rows")
	}
	for _, r := range rows {
		i := int((r.Similarity + 1) * n / 2)
		if r.Difficulty != fmt.Sprintf("b%03d", i) && r.Difficulty != fmt.Sprintf("b%03d", i-1) && r.Difficulty != fmt.Sprintf("b%03d", i+1) {
			t.Fatalf("similarity %v labelled %s", r.Similarity, r.Difficulty)
		}
	}
}

// TestInspectWarnsAboutPositivesInABand: when most positives lie inside a
// band, its negatives look like positives; the advice must say so and
// never call the bands usable (the review saw "the bands look usable" with
// 80% of the positives inside the hard band).
func TestInspectWarnsAboutPositivesInABand(t *testing.T) {
	data := synthData(t, "--terms", "3000", "--dim", "16", "--anchors", "800")
	out, _, err := runInspect(t, "--data-dir", data, "--hard-range", "0.7,0.97", "--sample", "200")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "of the positives lie inside this band") || strings.Contains(out, "look usable") {
		t.Errorf("the advice does not warn about the positives inside the hard band:\n%s", out)
	}
}
