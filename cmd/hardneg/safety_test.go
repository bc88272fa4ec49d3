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
)

// runErr runs the CLI and returns its error and stderr.
func runErr(args ...string) (error, string) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, args)
	return err, stderr.String()
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
