package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/scan"
	"github.com/hardneg/hardneg/source"
)

// edgeData writes a term list whose similarities sit on the default band
// edges: each of its 1,200 terms has ones in 10 of 20 columns spread over
// 256, so two terms' cosine is their overlap over 10, and about half the
// pairs overlap by 3, 5 or 7: cosine 0.3, 0.5 or 0.7, moved to either side
// by noise of about 1e-6, a hundredth of the screen's bound. Every such
// pair has to be re-checked, and the exact similarity decides its band.
func edgeData(t *testing.T) string {
	t.Helper()
	const terms, cols = 1200, 256
	r := rand.New(rand.NewPCG(13, 13))
	pool := r.Perm(cols)[:20]
	emb := make([]float32, terms*cols)
	names := make([]string, terms)
	for i := range terms {
		row := emb[i*cols : (i+1)*cols]
		for _, k := range r.Perm(len(pool))[:10] {
			row[pool[k]] = 1
		}
		for k := range row {
			row[k] += float32(1e-6 * r.NormFloat64())
		}
		names[i] = fmt.Sprintf("term%04d", i)
	}
	dir := t.TempDir()
	var pairs strings.Builder
	for range 500 {
		a, b := r.IntN(terms), r.IntN(terms)
		if a != b {
			fmt.Fprintf(&pairs, "{\"source\": %q, \"target\": %q, \"similarity\": 0.9}\n", names[a], names[b])
		}
	}
	list, err := json.Marshal(names)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{source.TermsFile: list, source.PairsFile: []byte(pairs.String())} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := npy.Write(filepath.Join(dir, source.EmbeddingsFile), terms, cols, emb, npy.Float32); err != nil {
		t.Fatal(err)
	}
	return dir
}

// screenRecord reads the stats file's record of the screen.
func screenRecord(t *testing.T, out string) mine.ScreenStats {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, mine.StatsFile))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Screen *mine.ScreenStats `json:"screen"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if st.Screen == nil {
		t.Fatalf("%s has no screen section", mine.StatsFile)
	}
	return *st.Screen
}

// mineScreenedAndExact mines with args screened and with --exact and wants
// the same bytes in every output file (the stats file's timings and screen
// record aside). It returns the screened run's record and output folder.
func mineScreenedAndExact(t *testing.T, args ...string) (mine.ScreenStats, string) {
	t.Helper()
	screened, exact := t.TempDir(), t.TempDir()
	runCLI(t, append([]string{"mine", "--out", screened, "-q"}, args...)...)
	runCLI(t, append([]string{"mine", "--out", exact, "-q", "--exact"}, args...)...)
	a, b := treeBytes(t, exact), treeBytes(t, screened)
	if len(a) < 4 || len(a) != len(b) {
		t.Fatalf("%d files with --exact, %d screened", len(a), len(b))
	}
	for name, content := range a {
		if !bytes.Equal(content, b[name]) {
			t.Errorf("%s differs between the screened and the exact scan:\n%s", name, firstDiff(content, b[name]))
		}
	}
	if st := screenRecord(t, exact); st.On || st.Pairs != 0 {
		t.Errorf("--exact ran the screen: %+v", st)
	}
	st := screenRecord(t, screened)
	if !st.On || st.Pairs == 0 || st.Rechecked == 0 {
		t.Fatalf("the screened run did not screen, or re-checked nothing: %+v", st)
	}
	return st, screened
}

// TestScreenWritesTheExactBytes mines the demo data, a term list built to
// put about half its similarities on the band edges, and the BEIR corpus
// in its general modes, each with the screen and with --exact, and wants
// the same bytes. The screen is forced, so that the pure-Go build screens
// too.
func TestScreenWritesTheExactBytes(t *testing.T) {
	scan.ForceScreen(true)
	defer scan.ForceScreen(false)
	demo, edges, beir := synthData(t), edgeData(t), beirDir(t)
	for _, tc := range []struct {
		name string
		args []string
		// share is the least share of pairs the run must re-check: on the
		// edges, at least those on an edge.
		share float64
	}{
		{"demo", []string{"--data-dir", demo, "--with-scores"}, 0},
		{"demo f16 notebook parquet", []string{"--data-dir", demo, "--store", "f16", "--quota", "notebook", "--parquet", "--seed", "7"}, 0},
		{"demo margins simans", []string{"--data-dir", demo, "--relative-margin", "0.05", "--min-score", "0.32", "--max-score", "0.85", "--sampling", "simans", "--simans-a", "20", "--with-scores"}, 0},
		{"demo top reuse", []string{"--data-dir", demo, "--sampling", "top", "--max-negative-reuse", "2", "--range-min", "2"}, 0},
		{"edges", []string{"--data-dir", edges, "--with-scores"}, 0.2},
		// Half precision drops the noise and moves the edge pairs about
		// 1e-4 off the edges, so fewer need a re-check.
		{"edges f16", []string{"--data-dir", edges, "--store", "f16", "--with-scores"}, 0},
		{"edges limits", []string{"--data-dir", edges, "--min-score", "0.3", "--max-score", "0.7", "--sampling", "top", "--with-scores"}, 0.2},
		{"edges simans", []string{"--data-dir", edges, "--sampling", "simans", "--simans-a", "30", "--absolute-margin", "0.2", "--with-scores"}, 0.2},
		{"edges window", []string{"--data-dir", edges, "--no-bands", "--range-max", "30", "--sampling", "top", "--with-scores"}, 0},
		{"beir window top", []string{"--beir-dir", beir, "--no-bands", "--range-max", "40", "--sampling", "top", "--exclude-near-duplicates", "0.95", "--with-scores"}, 0},
		{"beir window simans", []string{"--beir-dir", beir, "--no-bands", "--range-min", "3", "--range-max", "60", "--sampling", "simans", "--simans-a", "20", "--relative-margin", "0.05", "--format", "n-tuple", "--with-scores"}, 0},
		{"beir bands", []string{"--beir-dir", beir, "--exclude-near-duplicates", "0.95", "--absolute-margin", "0.1", "--with-scores", "--with-ids"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := mineScreenedAndExact(t, tc.args...)
			share := float64(st.Rechecked) / float64(st.Pairs)
			t.Logf("re-checked %d of %d pairs (%.3f%%)", st.Rechecked, st.Pairs, 100*share)
			if share < tc.share {
				t.Errorf("re-checked %.1f%% of the pairs, fewer than the %.0f%% on an edge", 100*share, 100*tc.share)
			}
		})
	}
}

// TestScreenShardsAndStreamsWriteTheExactBytes mines the edge data and the
// BEIR corpus screened in a grid of shards, in query shards and streamed
// in chunks, and wants the bytes of one exact run.
func TestScreenShardsAndStreamsWriteTheExactBytes(t *testing.T) {
	scan.ForceScreen(true)
	defer scan.ForceScreen(false)
	for _, args := range [][]string{
		{"mine", "--data-dir", edgeData(t), "--with-scores", "--relative-margin", "0.1"},
		{"mine", "--beir-dir", beirDir(t), "--no-bands", "--range-max", "40", "--sampling", "simans", "--simans-a", "20", "--exclude-near-duplicates", "0.95", "--with-scores"},
	} {
		exact := t.TempDir()
		runCLI(t, append(args, "--out", exact, "--exact", "-q")...)
		want := treeBytes(t, exact)

		merged := filepath.Join(t.TempDir(), "merged")
		runCLI(t, "merge", "--out", merged, "-q", mineGrid(t, args, 2, 3))
		sameTree(t, want, treeBytes(t, merged), "the merge of a screened 2 x 3 grid")

		shards := t.TempDir()
		for k := range 3 {
			runCLI(t, append(args, "--out", shards, "--shard", fmt.Sprintf("%d/3", k), "-q")...)
		}
		merged = filepath.Join(t.TempDir(), "merged")
		runCLI(t, "merge", "--out", merged, "-q", shards)
		sameTree(t, want, treeBytes(t, merged), "the merge of 3 screened query shards")

		streamed := t.TempDir()
		runCLI(t, append(args, "--out", streamed, "--chunk-rows", "97", "--threads", "2", "-q")...)
		sameTree(t, want, treeBytes(t, streamed), "a screened run streamed in chunks of 97 rows")
		if st := screenRecord(t, streamed); !st.On || st.Rechecked == 0 {
			t.Fatalf("the streamed run did not screen: %+v", st)
		}
	}
}
