package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/hardneg/hardneg/choose"
	"github.com/hardneg/hardneg/format"
	"github.com/hardneg/hardneg/internal/arrowcheck"
	"github.com/hardneg/hardneg/internal/kernel"
	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/source"
)

// triplet is one JSONL row as a reader sees it.
type triplet struct {
	Anchor     string  `json:"anchor"`
	Positive   string  `json:"positive"`
	Negative   string  `json:"negative"`
	Similarity float64 `json:"negative_similarity"`
	Difficulty string  `json:"difficulty"`
}

func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), &stdout, &stderr, args); err != nil {
		t.Fatalf("hardneg %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// synthData writes a synth data set with the CLI.
func synthData(t *testing.T, extra ...string) string {
	t.Helper()
	dir := t.TempDir()
	runCLI(t, append([]string{"synth", "--out", dir}, extra...)...)
	return dir
}

func readJSONL(t *testing.T, path string) []triplet {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []triplet
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r triplet
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

// truth is what the test recomputes from the inputs on its own, in float64.
type truth struct {
	terms     []string
	index     map[string]int
	emb       [][]float64 // unit rows
	positives map[string]map[string]bool
}

func loadTruth(t *testing.T, dir string) *truth {
	t.Helper()
	var terms []string
	b, err := os.ReadFile(filepath.Join(dir, source.TermsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &terms); err != nil {
		t.Fatal(err)
	}
	tr := &truth{terms: terms, index: map[string]int{}, positives: map[string]map[string]bool{}}
	for i, term := range terms {
		tr.index[term] = i
	}
	f, err := npy.Open(filepath.Join(dir, source.EmbeddingsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := make([]float32, f.Cols())
	for i := range f.Rows() {
		f.ReadFloat32(row, i)
		v := make([]float64, len(row))
		var ss float64
		for j, x := range row {
			v[j] = float64(x)
			ss += v[j] * v[j]
		}
		for j := range v {
			v[j] /= math.Sqrt(ss)
		}
		tr.emb = append(tr.emb, v)
	}
	pb, err := os.ReadFile(filepath.Join(dir, source.PairsFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(pb), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var p struct{ Source, Target string }
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatal(err)
		}
		_, okS := tr.index[p.Source]
		_, okT := tr.index[p.Target]
		if !okS || !okT || p.Source == p.Target {
			continue
		}
		for _, d := range [][2]string{{p.Source, p.Target}, {p.Target, p.Source}} {
			if tr.positives[d[0]] == nil {
				tr.positives[d[0]] = map[string]bool{}
			}
			tr.positives[d[0]][d[1]] = true
		}
	}
	return tr
}

func (tr *truth) cos(a, b string) float64 {
	x, y := tr.emb[tr.index[a]], tr.emb[tr.index[b]]
	var s float64
	for i := range x {
		s += x[i] * y[i]
	}
	return s
}

// poolBounds counts the anchor's candidates in all bands, once counting
// only those clearly inside a band and once counting those that may be, so
// that float32 rounding at a band edge cannot make the test flaky.
func (tr *truth) poolBounds(anchor string, bands []choose.Band) (lo, hi int) {
	const eps = 1e-5
	for _, c := range tr.terms {
		if c == anchor || tr.positives[anchor][c] {
			continue
		}
		s := tr.cos(anchor, c)
		for _, b := range bands {
			if s >= b.Lo+eps && s < b.Hi-eps {
				lo++
			}
			if s >= b.Lo-eps && s < b.Hi+eps {
				hi++
			}
		}
	}
	return lo, hi
}

func bandOf(bands []choose.Band, s float64) string {
	for _, b := range bands {
		if s >= b.Lo && s < b.Hi {
			return b.Name
		}
	}
	return ""
}

// TestEndToEnd runs synth and mine through the CLI and checks every promise
// of the output from the written files alone.
func TestEndToEnd(t *testing.T) {
	data := synthData(t)
	out1, out2 := t.TempDir(), t.TempDir()
	runCLI(t, "mine", "--data-dir", data, "--out", out1, "--threads", "1", "-q")
	runCLI(t, "mine", "--data-dir", data, "--out", out2, "--threads", "2", "-q")

	t.Run("byte-identical for 1 and 2 threads", func(t *testing.T) {
		a, b := treeBytes(t, out1), treeBytes(t, out2)
		if len(a) != 8+2 || len(a) != len(b) {
			t.Fatalf("output trees have %d and %d files", len(a), len(b))
		}
		for name, content := range a {
			if !bytes.Equal(content, b[name]) {
				t.Errorf("%s differs between --threads 1 and --threads 2", name)
			}
		}
	})

	tr := loadTruth(t, data)
	bands := choose.DefaultBands()
	train := readJSONL(t, filepath.Join(out1, triplets.TrainJSONL))
	val := readJSONL(t, filepath.Join(out1, triplets.ValJSONL))
	all := slices.Concat(train, val)

	t.Run("split is 90/10 by row with no shared row", func(t *testing.T) {
		if want := int(float64(len(all)) * 0.9); len(train) != want {
			t.Fatalf("%d train rows of %d, want %d", len(train), len(all), want)
		}
		seen := map[[3]string]bool{}
		for _, r := range all {
			k := [3]string{r.Anchor, r.Positive, r.Negative}
			if seen[k] {
				t.Fatalf("row %v appears twice", k)
			}
			seen[k] = true
		}
	})

	negs := map[string]map[string][]string{} // anchor -> positive -> negatives
	for _, r := range all {
		if negs[r.Anchor] == nil {
			negs[r.Anchor] = map[string][]string{}
		}
		negs[r.Anchor][r.Positive] = append(negs[r.Anchor][r.Positive], r.Negative)
	}

	t.Run("rows are correct", func(t *testing.T) {
		for _, r := range all {
			if r.Negative == r.Anchor || tr.positives[r.Anchor][r.Negative] {
				t.Fatalf("negative %q of %q is the anchor or a positive", r.Negative, r.Anchor)
			}
			if !tr.positives[r.Anchor][r.Positive] {
				t.Fatalf("%q is not a positive of %q", r.Positive, r.Anchor)
			}
			if want := tr.cos(r.Anchor, r.Negative); math.Abs(want-r.Similarity) > 1e-4 {
				t.Fatalf("similarity of %q and %q is %v, float64 gives %v", r.Anchor, r.Negative, r.Similarity, want)
			}
			if want := bandOf(bands, r.Similarity); r.Difficulty != want {
				t.Fatalf("similarity %v is labelled %q, its band is %q", r.Similarity, r.Difficulty, want)
			}
		}
	})

	t.Run("every anchor with all positives and one negative set", func(t *testing.T) {
		checked := 0
		for anchor, pos := range tr.positives {
			got := negs[anchor]
			lo, hi := tr.poolBounds(anchor, bands)
			if hi == 0 {
				if len(got) != 0 {
					t.Fatalf("anchor %q has no candidates but has triplets", anchor)
				}
				continue
			}
			if len(got) != len(pos) {
				t.Fatalf("anchor %q has triplets for %d positives, want %d", anchor, len(got), len(pos))
			}
			var first []string
			for p := range pos {
				ns := slices.Sorted(slices.Values(got[p]))
				if first == nil {
					first = ns
				} else if !slices.Equal(first, ns) {
					t.Fatalf("anchor %q: positives have different negative sets %v and %v", anchor, first, ns)
				}
				if len(slices.Compact(slices.Clone(ns))) != len(ns) {
					t.Fatalf("anchor %q repeats a negative: %v", anchor, ns)
				}
			}
			if len(first) < min(5, lo) || len(first) > min(5, hi) {
				t.Fatalf("anchor %q has %d negatives, want min(5, pool) with pool in [%d, %d]", anchor, len(first), lo, hi)
			}
			checked++
		}
		if checked < 500 {
			t.Fatalf("only %d anchors checked", checked)
		}
	})

	t.Run("balanced mix within 1 point of 33/33/34", func(t *testing.T) {
		counts := map[string]int{}
		for _, r := range all {
			counts[r.Difficulty]++
		}
		for _, b := range bands {
			share := 100 * float64(counts[b.Name]) / float64(len(all))
			if math.Abs(share-100*b.Ratio) > 1 {
				t.Errorf("%s: %.2f%% of triplets, want %.0f%% ± 1", b.Name, share, 100*b.Ratio)
			}
		}
	})

	t.Run("stats file", func(t *testing.T) {
		var st struct {
			Config                 map[string]any `json:"config"`
			Dataset                map[string]int `json:"dataset"`
			DifficultyDistribution map[string]int `json:"difficulty_distribution"`
		}
		b, err := os.ReadFile(filepath.Join(out1, mine.StatsFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"easy_range", "medium_range", "hard_range", "easy_ratio", "medium_ratio", "hard_ratio", "negatives_per_anchor", "train_ratio", "val_ratio"} {
			if _, ok := st.Config[k]; !ok {
				t.Errorf("config lacks the notebook's key %q", k)
			}
		}
		want := map[string]int{"total_triplets": len(all), "train_triplets": len(train), "val_triplets": len(val), "unique_anchors": len(tr.positives)}
		for k, v := range want {
			if st.Dataset[k] != v {
				t.Errorf("dataset.%s = %d, want %d", k, st.Dataset[k], v)
			}
		}
		sum := 0
		for _, v := range st.DifficultyDistribution {
			sum += v
		}
		if sum != len(all) {
			t.Errorf("difficulty distribution sums to %d, want %d", sum, len(all))
		}
	})

	t.Run("arrow read back by apache-arrow matches the JSONL", func(t *testing.T) {
		for split, rows := range map[string][]triplet{"train": train, "validation": val} {
			dump := arrowcheck.Read(t, filepath.Join(out1, triplets.Dataset, split))
			if len(dump.Rows) != len(rows) {
				t.Fatalf("%s: %d arrow rows, %d JSONL rows", split, len(dump.Rows), len(rows))
			}
			for i, r := range rows {
				a := dump.Rows[i]
				num, _ := a["negative_similarity"].(json.Number)
				sim, err := num.Float64()
				if err != nil || a["anchor"] != r.Anchor || a["positive"] != r.Positive || a["negative"] != r.Negative ||
					a["difficulty"] != r.Difficulty || sim != r.Similarity {
					t.Fatalf("%s row %d: arrow %v, JSONL %+v", split, i, a, r)
				}
			}
		}
	})
}

// TestNotebookQuota checks the notebook mode's 1/1/3 quotas: an anchor with
// enough candidates in every band gets exactly 1 easy, 1 medium and 3 hard.
func TestNotebookQuota(t *testing.T) {
	data := synthData(t)
	out := t.TempDir()
	runCLI(t, "mine", "--data-dir", data, "--out", out, "--quota", "notebook", "-q")
	tr := loadTruth(t, data)
	bands := choose.DefaultBands()
	rows := slices.Concat(readJSONL(t, filepath.Join(out, triplets.TrainJSONL)), readJSONL(t, filepath.Join(out, triplets.ValJSONL)))
	perAnchor := map[string]map[string]map[string]bool{} // anchor -> band -> negatives
	for _, r := range rows {
		if perAnchor[r.Anchor] == nil {
			perAnchor[r.Anchor] = map[string]map[string]bool{}
		}
		if perAnchor[r.Anchor][r.Difficulty] == nil {
			perAnchor[r.Anchor][r.Difficulty] = map[string]bool{}
		}
		perAnchor[r.Anchor][r.Difficulty][r.Negative] = true
	}
	full, short := 0, 0
	for anchor, byBand := range perAnchor {
		pools := map[string]int{}
		for _, c := range tr.terms {
			if c != anchor && !tr.positives[anchor][c] {
				pools[bandOf(bands, tr.cos(anchor, c))]++
			}
		}
		if pools["easy"] >= 5 && pools["medium"] >= 5 && pools["hard"] >= 5 {
			full++
			if len(byBand["easy"]) != 1 || len(byBand["medium"]) != 1 || len(byBand["hard"]) != 3 {
				t.Fatalf("anchor %q with full pools got %d/%d/%d, want 1/1/3",
					anchor, len(byBand["easy"]), len(byBand["medium"]), len(byBand["hard"]))
			}
		}
		if pools["hard"] == 0 && pools["medium"] >= 5 {
			short++
			// The hard quota of 3 falls to the fill, drawn from the easy
			// and medium leftovers: 5 negatives all the same.
			if n := len(byBand["easy"]) + len(byBand["medium"]); n != 5 || len(byBand["easy"]) < 1 || len(byBand["medium"]) < 1 {
				t.Fatalf("anchor %q without hard candidates got %v", anchor, byBand)
			}
		}
	}
	if full < 50 || short < 10 {
		t.Fatalf("synth data gave %d anchors with full pools and %d without hard candidates; the test needs both", full, short)
	}
}

// timings matches the stats file's wall times and, after them, its record
// of the screen: the parts of the outputs that differ from run to run (the
// screen's counts with --exact, the streaming and the sharding).
var timings = regexp.MustCompile(`(?s)"timings_seconds": \{.*?\}(,\s*"screen": \{[^{}]*\})?`)

// treeBytes reads every file under dir, keyed by relative path, with the
// stats file's timings blanked out and its screen section removed.
func treeBytes(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		if rel == mine.StatsFile {
			b = timings.ReplaceAll(b, []byte(`"timings_seconds": {}`))
		}
		out[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestStoreF16 mines with half-precision storage: the output is still
// deterministic across thread counts and labels agree with the written
// similarities, which stay within half-precision rounding of float64.
func TestStoreF16(t *testing.T) {
	data := synthData(t)
	out1, out2, out32 := t.TempDir(), t.TempDir(), t.TempDir()
	runCLI(t, "mine", "--data-dir", data, "--out", out1, "--store", "f16", "--threads", "1", "-q")
	runCLI(t, "mine", "--data-dir", data, "--out", out2, "--store", "f16", "--threads", "2", "-q")
	runCLI(t, "mine", "--data-dir", data, "--out", out32, "-q")
	a, b := treeBytes(t, out1), treeBytes(t, out2)
	for name, content := range a {
		if !bytes.Equal(content, b[name]) {
			t.Errorf("%s differs between --threads 1 and --threads 2", name)
		}
	}
	tr := loadTruth(t, data)
	bands := choose.DefaultBands()
	rows := slices.Concat(readJSONL(t, filepath.Join(out1, triplets.TrainJSONL)), readJSONL(t, filepath.Join(out1, triplets.ValJSONL)))
	worst := 0.0
	for _, r := range rows {
		worst = max(worst, math.Abs(tr.cos(r.Anchor, r.Negative)-r.Similarity))
		if want := bandOf(bands, r.Similarity); r.Difficulty != want {
			t.Fatalf("similarity %v is labelled %q, its band is %q", r.Similarity, r.Difficulty, want)
		}
	}
	if worst > 1e-3 {
		t.Errorf("half-precision similarities are off by up to %v, want at most 1e-3", worst)
	}
	if bytes.Equal(a[triplets.TrainJSONL], treeBytes(t, out32)[triplets.TrainJSONL]) {
		t.Error("f16 and f32 storage wrote the same triplets; the flag seems to have no effect")
	}
	t.Logf("largest difference from float64: %.2g", worst)
}

// TestAssemblyAndPureGoWriteTheSameBytes mines the same data with the
// assembly kernels and with the pure-Go ones and compares every output file.
func TestAssemblyAndPureGoWriteTheSameBytes(t *testing.T) {
	if !kernel.Accelerated() {
		t.Skip("no assembly kernel on this CPU or build")
	}
	data := synthData(t)
	outAsm, outGo := t.TempDir(), t.TempDir()
	runCLI(t, "mine", "--data-dir", data, "--out", outAsm, "-q")
	kernel.ForceGeneric(true)
	defer kernel.ForceGeneric(false)
	runCLI(t, "mine", "--data-dir", data, "--out", outGo, "-q")
	a, b := treeBytes(t, outAsm), treeBytes(t, outGo)
	if len(a) != len(b) {
		t.Fatalf("%d and %d files", len(a), len(b))
	}
	for name, content := range a {
		if !bytes.Equal(content, b[name]) {
			t.Errorf("%s differs between the assembly and the pure-Go kernels", name)
		}
	}
}

// TestParquetReadBackByNode writes the Parquet copy and reads it with
// hyparquet under node, an implementation other than arrow-go, and compares
// it row for row with the JSONL.
func TestParquetReadBackByNode(t *testing.T) {
	data := synthData(t)
	out := t.TempDir()
	runCLI(t, "mine", "--data-dir", data, "--out", out, "--parquet", "-q")
	for split, jsonl := range map[string]string{"train": triplets.TrainJSONL, "validation": triplets.ValJSONL} {
		rows := readJSONL(t, filepath.Join(out, jsonl))
		dump := arrowcheck.ReadParquet(t, filepath.Join(out, mine.ParquetDir, split+"-00000-of-00001.parquet"))
		if len(dump.Rows) != len(rows) || len(rows) == 0 {
			t.Fatalf("%s: %d parquet rows, %d JSONL rows", split, len(dump.Rows), len(rows))
		}
		for i, r := range rows {
			p := dump.Rows[i]
			num, _ := p["negative_similarity"].(json.Number)
			sim, err := num.Float64()
			if err != nil || p["anchor"] != r.Anchor || p["positive"] != r.Positive || p["negative"] != r.Negative ||
				p["difficulty"] != r.Difficulty || sim != r.Similarity {
				t.Fatalf("%s row %d: parquet %v, JSONL %+v", split, i, p, r)
			}
		}
	}
}

// TestSplitWithoutLeaks checks from the written files that --split-by
// anchor puts no anchor on both sides and --split-by component no synonym
// group, while the notebook's split by row leaks both.
func TestSplitWithoutLeaks(t *testing.T) {
	data := synthData(t)
	tr := loadTruth(t, data)
	// components of the synonym graph, by BFS over the pairs
	comp := map[string]int{}
	n := 0
	for start := range tr.positives {
		if _, ok := comp[start]; ok {
			continue
		}
		queue := []string{start}
		comp[start] = n
		for len(queue) > 0 {
			x := queue[0]
			queue = queue[1:]
			for y := range tr.positives[x] {
				if _, ok := comp[y]; !ok {
					comp[y] = n
					queue = append(queue, y)
				}
			}
		}
		n++
	}
	leaks := func(mode string) (anchors, groups int) {
		out := t.TempDir()
		runCLI(t, "mine", "--data-dir", data, "--out", out, "--split-by", mode, "-q")
		side := func(file string) (map[string]bool, map[int]bool) {
			a, g := map[string]bool{}, map[int]bool{}
			for _, r := range readJSONL(t, filepath.Join(out, file)) {
				a[r.Anchor] = true
				g[comp[r.Anchor]] = true
			}
			return a, g
		}
		ta, tg := side(triplets.TrainJSONL)
		va, vg := side(triplets.ValJSONL)
		for a := range va {
			if ta[a] {
				anchors++
			}
		}
		for g := range vg {
			if tg[g] {
				groups++
			}
		}
		var st struct {
			Split struct {
				By      string
				Overlap struct{ Anchors, Components int }
			}
		}
		b, _ := os.ReadFile(filepath.Join(out, mine.StatsFile))
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatal(err)
		}
		if st.Split.By != mode || st.Split.Overlap.Anchors != anchors || st.Split.Overlap.Components != groups {
			t.Errorf("%s: stats report %+v, the files show %d anchors and %d groups on both sides", mode, st.Split, anchors, groups)
		}
		return anchors, groups
	}
	if a, g := leaks("row"); a == 0 || g == 0 {
		t.Errorf("by row: %d anchors and %d groups on both sides; the test data shows no leak to prevent", a, g)
	}
	if a, _ := leaks("anchor"); a != 0 {
		t.Errorf("by anchor: %d anchors on both sides", a)
	}
	if a, g := leaks("component"); a != 0 || g != 0 {
		t.Errorf("by component: %d anchors and %d synonym groups on both sides", a, g)
	}
}

// TestOutputFormats writes the n-tuple and FlagEmbedding formats with scores
// and checks them from the written files: grouping, scores against a float64

// TestOutputFormats mines every format, plain and with scores and ids, and
// checks each from its files: the columns sentence-transformers and
// FlagEmbedding read, the same rows in the JSONL and in the HuggingFace
// dataset (read back by apache-arrow), files named after the format, scores
// against a float64 recomputation, labels, ids, and no negative that is the
// anchor or a positive.
func TestOutputFormats(t *testing.T) {
	data := synthData(t)
	tr := loadTruth(t, data)
	const k = 5
	near := func(t *testing.T, what string, got any, a, b string) {
		t.Helper()
		f := number(t, got)
		if want := tr.cos(a, b); math.Abs(f-want) > 1e-4 {
			t.Fatalf("%s of %q and %q is %v, float64 gives %v", what, a, b, got, want)
		}
	}
	negs := "negative_1 negative_2 negative_3 negative_4 negative_5"
	for _, tc := range []struct {
		format, spelling string
		extra            []string
		columns          string
	}{
		{"triplet", "triplet", nil, "anchor positive negative negative_similarity difficulty"},
		{"triplet", "triplet", []string{"--with-scores", "--with-ids"}, "anchor positive negative negative_similarity difficulty scores query_id positive_id negative_id"},
		{"ntuple", "n-tuple", nil, "anchor positive " + negs},
		{"ntuple", "ntuple", []string{"--with-scores", "--with-ids"}, "anchor positive " + negs + " scores query_id positive_id negative_id"},
		{"labeled-pair", "labeled-pair", nil, "anchor text label"},
		{"labeled-pair", "labeled_pair", []string{"--with-scores", "--with-ids"}, "anchor text score query_id text_id"},
		{"labeled-list", "labeled-list", nil, "anchor texts labels"},
		{"labeled-list", "labeled-list", []string{"--with-scores", "--with-ids"}, "anchor texts scores query_id text_ids"},
		{"flagembedding", "flagembedding", nil, "query pos neg"},
		{"flagembedding", "flag-embedding", []string{"--with-scores", "--with-ids"}, "query pos neg pos_scores neg_scores query_id positive_id negative_id"},
	} {
		t.Run(tc.format+strings.Join(tc.extra, ""), func(t *testing.T) {
			out := t.TempDir()
			runCLI(t, append([]string{"mine", "--data-dir", data, "--out", out, "--format", tc.spelling, "-q"}, tc.extra...)...)
			spec := format.Lookup(format.Name(tc.format))
			scores, ids := len(tc.extra) > 0, len(tc.extra) > 0
			total := 0
			for split, file := range map[string]string{"train": spec.TrainJSONL, "validation": spec.ValJSONL} {
				lines := readLines(t, filepath.Join(out, file))
				total += len(lines)
				dump := arrowcheck.Read(t, filepath.Join(out, spec.Dataset, split))
				var names []string
				for _, f := range dump.Fields {
					names = append(names, f.Name)
				}
				if got := strings.Join(names, " "); got != tc.columns {
					t.Fatalf("%s columns %q, want %q", split, got, tc.columns)
				}
				if len(dump.Rows) != len(lines) {
					t.Fatalf("%s: %d arrow rows, %d JSONL rows", split, len(dump.Rows), len(lines))
				}
				for i, m := range lines {
					if len(m) != len(names) {
						t.Fatalf("%s line %d has keys %v, want %s", file, i+1, m, tc.columns)
					}
					for _, c := range names {
						if !sameValue(m[c], dump.Rows[i][c]) {
							t.Fatalf("%s row %d column %s: JSONL %v, arrow %v", split, i, c, m[c], dump.Rows[i][c])
						}
					}
					checkRow(t, tc.format, m, tr, k, scores, ids, near)
				}
			}
			if total == 0 {
				t.Fatal("no rows")
			}
		})
	}
}

// checkRow checks one row of a format against the recomputation.
func checkRow(t *testing.T, f string, m map[string]any, tr *truth, k int, scores, ids bool,
	near func(t *testing.T, what string, got any, a, b string)) {
	t.Helper()
	negative := func(a, n string) {
		if n == a || tr.positives[a][n] {
			t.Fatalf("negative %q of %q is the anchor or a positive", n, a)
		}
	}
	positive := func(a, p string) {
		if !tr.positives[a][p] {
			t.Fatalf("%q is not a positive of %q", p, a)
		}
	}
	str := func(v any) string { return v.(string) }
	switch f {
	case "triplet":
		a, p, n := str(m["anchor"]), str(m["positive"]), str(m["negative"])
		positive(a, p)
		negative(a, n)
		near(t, "negative_similarity", m["negative_similarity"], a, n)
		if scores {
			s := m["scores"].([]any)
			near(t, "positive score", s[0], a, p)
			near(t, "negative score", s[1], a, n)
			if m["query_id"] != a || m["positive_id"] != p || m["negative_id"] != n {
				t.Fatalf("ids of a term list are the terms: %v", m)
			}
		}
	case "ntuple":
		a, p := str(m["anchor"]), str(m["positive"])
		positive(a, p)
		for j := 1; j <= k; j++ {
			n := str(m[fmt.Sprintf("negative_%d", j)])
			negative(a, n)
			if scores {
				near(t, "negative score", m["scores"].([]any)[j], a, n)
				if m["negative_id"].([]any)[j-1] != n {
					t.Fatalf("negative_id %v", m["negative_id"])
				}
			}
		}
		if scores {
			near(t, "positive score", m["scores"].([]any)[0], a, p)
		}
	case "labeled-pair":
		a, text := str(m["anchor"]), str(m["text"])
		if scores {
			near(t, "score", m["score"], a, text)
			if m["text_id"] != text {
				t.Fatalf("text_id %v", m["text_id"])
			}
			return
		}
		if number(t, m["label"]) == 1 {
			positive(a, text)
		} else {
			negative(a, text)
		}
	case "labeled-list":
		a, texts := str(m["anchor"]), m["texts"].([]any)
		positive(a, str(texts[0]))
		for _, n := range texts[1:] {
			negative(a, str(n))
		}
		if scores {
			for i, s := range m["scores"].([]any) {
				near(t, "score", s, a, str(texts[i]))
			}
			return
		}
		labels := m["labels"].([]any)
		if len(labels) != len(texts) || number(t, labels[0]) != 1 || number(t, labels[1]) != 0 {
			t.Fatalf("labels %v for texts %v", labels, texts)
		}
	case "flagembedding":
		q, pos, neg := str(m["query"]), m["pos"].([]any), m["neg"].([]any)
		if len(pos) != len(tr.positives[q]) || len(neg) == 0 || len(neg) > k {
			t.Fatalf("query %q: %d positives (want %d), %d negatives", q, len(pos), len(tr.positives[q]), len(neg))
		}
		for i, n := range neg {
			negative(q, str(n))
			if scores {
				near(t, "neg score", m["neg_scores"].([]any)[i], q, str(n))
			}
		}
		for i, p := range pos {
			positive(q, str(p))
			if scores {
				near(t, "pos score", m["pos_scores"].([]any)[i], q, str(p))
			}
		}
	}
}

// number reads a JSON number decoded with or without UseNumber.
func number(t *testing.T, v any) float64 {
	t.Helper()
	switch x := v.(type) {
	case float64:
		return x
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	t.Fatalf("%v (%T) is not a number", v, v)
	return 0
}

// sameValue compares a JSONL value with the value apache-arrow read for
// it: strings, numbers (as float64) and lists of them.
func sameValue(jsonl, arrow any) bool {
	switch a := arrow.(type) {
	case []any:
		j, ok := jsonl.([]any)
		if !ok || len(j) != len(a) {
			return false
		}
		for i := range a {
			if !sameValue(j[i], a[i]) {
				return false
			}
		}
		return true
	case json.Number:
		f, err := a.Float64()
		jf, ok := jsonl.(float64)
		return err == nil && ok && f == jf
	}
	return jsonl == arrow
}

func readLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, m)
	}
	return out
}
