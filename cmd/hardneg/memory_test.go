package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/source"
)

// starData writes a synonym data set whose pairs link one centre term to
// each of leaves others, plus extra terms in no pair, with random 8-dim
// embeddings: under --exclude hops:2 every leaf excludes every leaf.
func starData(t *testing.T, leaves, extra int) string {
	t.Helper()
	dir := t.TempDir()
	n := 1 + leaves + extra
	terms := make([]string, n)
	terms[0] = "centre"
	for i := 1; i < n; i++ {
		terms[i] = fmt.Sprintf("term%07d", i)
	}
	var tl, pairs strings.Builder
	tl.WriteString("[")
	for i, term := range terms {
		if i > 0 {
			tl.WriteString(",")
		}
		fmt.Fprintf(&tl, "%q", term)
	}
	tl.WriteString("]")
	for i := 1; i <= leaves; i++ {
		fmt.Fprintf(&pairs, "{\"source\": \"centre\", \"target\": %q}\n", terms[i])
	}
	if err := os.WriteFile(filepath.Join(dir, source.TermsFile), []byte(tl.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, source.PairsFile), []byte(pairs.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	emb := make([]float32, n*8)
	for i := range emb {
		emb[i] = float32(r.NormFloat64())
	}
	if err := npy.Write(filepath.Join(dir, source.EmbeddingsFile), n, 8, emb, npy.Float32); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestMemoryCapCoversTheGuards: --max-memory must count what the guards
// take, and refuse before the heavy work: the hops:2 lists of a star of
// 6,000 leaves (144 MB), and edit distance 3 over a synthetic vocabulary,
// where every short term is a variant of every other. Each was accepted
// under a cap it then far exceeded (3.6 GB and 2.6 GB in the review).
func TestMemoryCapCoversTheGuards(t *testing.T) {
	for _, tc := range []struct {
		name string
		data func(t *testing.T) string
		args []string
		want string
	}{
		{"star, hops:2", func(t *testing.T) string { return starData(t, 6000, 2000) }, []string{"--exclude", "hops:2", "--max-memory", "100MiB"}, "guards"},
		{"edit distance 3", func(t *testing.T) string {
			return synthData(t, "--terms", "30000", "--dim", "8", "--anchors", "6000")
		}, []string{"--exclude-edit-distance", "3", "--max-memory", "150MiB"}, "lexical guards exclude about"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := tc.data(t)
			err, _ := runErr(append([]string{"mine", "--data-dir", data, "--out", t.TempDir(), "-q"}, tc.args...)...)
			if exitCode(err) != exitMemory || !errors.Is(err, mine.ErrMemory) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%v (exit %d), want exit %d naming %q", err, exitCode(err), exitMemory, tc.want)
			}
			t.Logf("hardneg: %v", err)
		})
	}
}
