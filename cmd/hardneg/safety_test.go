package main

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/source"
)

// runErr runs the CLI and returns its error and stderr.
func runErr(args ...string) (error, string) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, args)
	return err, stderr.String()
}

// TestDumpExcludedIsAnOutput: the list of excluded candidates is staged and
// committed with the other outputs. It is refused, before anything is read
// or written, when it names an input, another output or a folder, and when
// it exists without --force.
func TestDumpExcludedIsAnOutput(t *testing.T) {
	data := synthData(t, "--terms", "400", "--dim", "16", "--anchors", "80")
	for _, tc := range []struct {
		name  string
		dump  func(data, out string) string
		force bool
		code  int
		want  string
	}{
		{"an input", func(data, _ string) string { return filepath.Join(data, source.TermsFile) }, true, exitUsage, "is an input of the run"},
		{"the pairs, by another path", func(data, _ string) string { return filepath.Join(data, ".", "x", "..", source.PairsFile) }, true, exitUsage, "is an input of the run"},
		{"another output", func(_, out string) string { return filepath.Join(out, "train_triplets.jsonl") }, true, exitUsage, "is the run's output"},
		{"inside an output", func(_, out string) string { return filepath.Join(out, "triplet_dataset", "x.jsonl") }, true, exitUsage, "is the run's output"},
		{"a folder", func(_, out string) string { return out }, true, exitUsage, "is a folder"},
		{"in a missing folder", func(_, out string) string { return filepath.Join(out, "no", "x.jsonl") }, true, exitUsage, "does not exist"},
		{"an existing file, without --force", func(_, out string) string { return filepath.Join(out, "earlier.jsonl") }, false, exitOutputExist, "use --force"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			runCLI(t, "mine", "--data-dir", data, "--out", out, "-q")
			if err := os.WriteFile(filepath.Join(out, "earlier.jsonl"), []byte("the user's\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			before, inputs := listTree(t, out), listTree(t, data)
			args := []string{"mine", "--data-dir", data, "--out", out, "-q", "--exclude", "hops:2", "--seed", "7", "--dump-excluded", tc.dump(data, out)}
			if tc.force {
				args = append(args, "--force")
			}
			err, _ := runErr(args...)
			if err == nil || exitCode(err) != tc.code || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v (exit %d), want exit %d with %q", err, exitCode(err), tc.code, tc.want)
			}
			if after := listTree(t, out); !maps.Equal(after, before) {
				t.Errorf("a refused run changed the output folder: %v", sortedKeys(after))
			}
			if after := listTree(t, data); !maps.Equal(after, inputs) {
				t.Errorf("a refused run changed the inputs")
			}
		})
	}
	// Accepted: the dump and the outputs appear together, and a folder of
	// its own holds nothing else afterwards.
	out, elsewhere := t.TempDir(), t.TempDir()
	dump := filepath.Join(elsewhere, "excluded.jsonl")
	runCLI(t, "mine", "--data-dir", data, "--out", out, "-q", "--exclude", "hops:2", "--dump-excluded", dump)
	if got := listTree(t, elsewhere); len(got) != 2 || got["excluded.jsonl"] == "" {
		t.Fatalf("the dump's folder holds %v", sortedKeys(got))
	}
	if err, _ := runErr("mine", "--data-dir", data, "--out", t.TempDir(), "-q", "--exclude", "hops:2", "--dump-excluded", dump); exitCode(err) != exitOutputExist {
		t.Fatalf("an existing dump without --force: %v", err)
	}
}

// TestForceReplacesOnlyHardnegOutputs: --force replaces what an earlier
// run wrote, but refuses a folder in the way that holds anything hardneg
// does not write there (data/raw/corpus.txt beside --parquet's data/), and
// leaves it as it was.
func TestForceReplacesOnlyHardnegOutputs(t *testing.T) {
	data := synthData(t, "--terms", "400", "--dim", "16", "--anchors", "80")
	out := t.TempDir()
	runCLI(t, "mine", "--data-dir", data, "--out", out, "-q", "--parquet")
	runCLI(t, "mine", "--data-dir", data, "--out", out, "-q", "--parquet", "--force", "--seed", "7")

	raw := filepath.Join(out, mine.ParquetDir, "raw", "corpus.txt")
	if err := os.MkdirAll(filepath.Dir(raw), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(raw, []byte("the user's corpus\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := listTree(t, out)
	err, _ := runErr("mine", "--data-dir", data, "--out", out, "-q", "--parquet", "--force")
	if exitCode(err) != exitOutputExist || !errors.Is(err, mine.ErrOutputExists) || !strings.Contains(err.Error(), "holds raw") {
		t.Fatalf("error %v (exit %d), want exit %d naming raw/", err, exitCode(err), exitOutputExist)
	}
	if after := listTree(t, out); !maps.Equal(after, before) {
		t.Fatalf("the refused run changed %s", out)
	}
	// A folder of the user's named like the dataset is refused too.
	other := t.TempDir()
	if err := os.MkdirAll(filepath.Join(other, "triplet_dataset", "notes"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err, _ := runErr("mine", "--data-dir", data, "--out", other, "-q", "--force"); exitCode(err) != exitOutputExist {
		t.Fatalf("a foreign triplet_dataset/: %v", err)
	}
}
