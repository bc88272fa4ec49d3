package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/vocab"
)

// tinyData writes a small valid data set: four terms in 3 dimensions with
// similarities that fill the bands.
func tinyData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{
		vocab.TermsFile: `["야당", "야당정치인", "야수", "李滉"]`,
		vocab.PairsFile: `{"source": "야당", "target": "야당정치인", "similarity": 0.9}` + "\n\n" +
			`{"source": "李滉", "target": "야수", "similarity": 0.8}` + "\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	emb := []float32{1, 0, 0, 0.9, 0.3, 0, 0.6, 0.6, 0.5, 0.4, 0.8, 0.4}
	if err := npy.Write(filepath.Join(dir, vocab.EmbeddingsFile), 4, 3, emb, npy.Float32); err != nil {
		t.Fatal(err)
	}
	return dir
}

func npyBytes(t *testing.T, rows, cols int, data []float32) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := npy.WriteTo(&buf, rows, cols, data, npy.Float32); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBadInputsAreRefused is the foundation issue's catalogue: each bad input
// is refused with an error naming the file and where in it, exit code 3, and
// nothing written to the output folder.
func TestBadInputsAreRefused(t *testing.T) {
	good := npyBytes(t, 4, 3, []float32{1, 0, 0, 0.9, 0.3, 0, 0.6, 0.6, 0.5, 0.4, 0.8, 0.4})
	replace := func(b []byte, old, new string) []byte {
		return bytes.Replace(b, []byte(old), []byte(new), 1)
	}
	nan := float32(0)
	nan = nan / nan
	for _, tc := range []struct {
		name  string
		file  string
		bytes []byte
		where string // must appear in the message beside the file path
	}{
		{"malformed JSONL line", vocab.PairsFile, []byte(`{"source": "야당", "target": "야수"}` + "\n" + `{"source": "야당", "target": `), "line 2"},
		{"pair missing source", vocab.PairsFile, []byte("\n" + `{"target": "야수"}`), `line 2: missing "source"`},
		{"pair missing target", vocab.PairsFile, []byte(`{"source": "야수"}`), `line 1: missing "target"`},
		{"empty pairs file", vocab.PairsFile, nil, "no pairs"},
		{"no pair in vocabulary", vocab.PairsFile, []byte(`{"source": "x", "target": "y"}`), "none of the 1 pairs"},
		{"npy bad magic", vocab.EmbeddingsFile, append([]byte("\x93NUMPZ"), good[6:]...), "byte 0"},
		{"npy bad header", vocab.EmbeddingsFile, replace(good, "'shape'", "'shope'"), "byte "},
		{"npy fortran order", vocab.EmbeddingsFile, replace(good, "False", "True "), "fortran"},
		{"npy int dtype", vocab.EmbeddingsFile, replace(good, "<f4", "<i4"), "dtype"},
		{"npy truncated data", vocab.EmbeddingsFile, good[:len(good)-5], "byte "},
		{"row count differs from term list", vocab.EmbeddingsFile, npyBytes(t, 3, 3, make9()), "has 3 rows but"},
		{"zero row", vocab.EmbeddingsFile, npyBytes(t, 4, 3, []float32{1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1}), "row 1 (term \"야당정치인\")"},
		{"non-finite row", vocab.EmbeddingsFile, npyBytes(t, 4, 3, []float32{1, 0, 0, 1, 1, 1, 1, nan, 1, 1, 1, 1}), "row 2 (term \"야수\"): column 1 is NaN"},
		{"duplicate terms", vocab.TermsFile, []byte(`["야당", "야당정치인", "야당", "李滉"]`), "row 2 repeats"},
		{"term list not an array", vocab.TermsFile, []byte(`{"terms": ["야당"]}`), "want a JSON array of strings"},
		{"term list with a number", vocab.TermsFile, []byte(`["야당", 3, "야수", "李滉"]`), "row 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := tinyData(t)
			path := filepath.Join(data, tc.file)
			if err := os.WriteFile(path, tc.bytes, 0o644); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out")
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, []string{"mine", "--data-dir", data, "--out", out, "-q"})
			if err == nil {
				t.Fatal("the bad input was accepted")
			}
			if code := exitCode(err); code != exitInput {
				t.Errorf("exit code %d, want %d (%v)", code, exitInput, err)
			}
			if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, tc.where) {
				t.Errorf("message %q does not name %s and %q", msg, path, tc.where)
			}
			entries, _ := os.ReadDir(out)
			if len(entries) != 0 {
				t.Errorf("the output folder holds %d entries after a refused run", len(entries))
			}
		})
	}
}

func make9() []float32 {
	return []float32{1, 0, 0, 0, 1, 0, 0, 0, 1}
}

func TestTinyDataMines(t *testing.T) {
	// The catalogue above only means something if the unbroken data mines.
	data := tinyData(t)
	runCLI(t, "mine", "--data-dir", data, "-q")
	if _, err := os.Stat(filepath.Join(data, mine.StatsFile)); err != nil {
		t.Fatal(err)
	}
}

func TestExistingOutputsNeedForce(t *testing.T) {
	data := tinyData(t)
	runCLI(t, "mine", "--data-dir", data, "-q")
	stats := filepath.Join(data, mine.StatsFile)
	if err := os.WriteFile(stats, []byte("earlier"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, []string{"mine", "--data-dir", data, "-q"})
	if !errors.Is(err, mine.ErrOutputExists) || exitCode(err) != exitOutputExist {
		t.Fatalf("error %v (exit %d), want output exists (exit %d)", err, exitCode(err), exitOutputExist)
	}
	if b, _ := os.ReadFile(stats); string(b) != "earlier" {
		t.Fatal("a refused run changed an existing output")
	}
	runCLI(t, "mine", "--data-dir", data, "-q", "--force")
	if b, _ := os.ReadFile(stats); string(b) == "earlier" {
		t.Fatal("--force did not replace the output")
	}
	entries, _ := os.ReadDir(data)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".hardneg-tmp-") {
			t.Fatalf("staging folder %s left behind", e.Name())
		}
	}
}

// TestFailedRunLeavesEarlierOutputs breaks an input after a good run and
// checks that a forced rerun, which fails, leaves the earlier outputs.
func TestFailedRunLeavesEarlierOutputs(t *testing.T) {
	data := tinyData(t)
	runCLI(t, "mine", "--data-dir", data, "-q")
	before := treeBytes(t, data)
	if err := os.WriteFile(filepath.Join(data, vocab.PairsFile), []byte("not json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, []string{"mine", "--data-dir", data, "-q", "--force"}); err == nil {
		t.Fatal("broken pairs accepted")
	}
	after := treeBytes(t, data)
	for name, b := range before {
		if name == vocab.PairsFile {
			continue
		}
		if !bytes.Equal(after[name], b) {
			t.Errorf("%s changed after a failed run", name)
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d files before, %d after", len(before), len(after))
	}
}

func TestUsageErrors(t *testing.T) {
	data := tinyData(t)
	for _, args := range [][]string{
		{"mine"},
		{"mine", "--data-dir", data, "--easy-range", "0.3"},
		{"mine", "--data-dir", data, "--easy-range", "0.3,0.6"},
		{"mine", "--data-dir", data, "--hard-ratio", "0.5"},
		{"mine", "--data-dir", data, "--quota", "even"},
		{"mine", "--data-dir", data, "--train-ratio", "0.8"},
		{"mine", "--data-dir", data, "--negatives-per-anchor", "0"},
		{"mine", "--no-such-flag"},
		{"frobnicate"},
		{"synth"},
		{"synth", "--out", t.TempDir(), "--dtype", "f64x"},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), &stdout, &stderr, args)
		if exitCode(err) != exitUsage {
			t.Errorf("hardneg %s: exit %d (%v), want %d", strings.Join(args, " "), exitCode(err), err, exitUsage)
		}
	}
}
