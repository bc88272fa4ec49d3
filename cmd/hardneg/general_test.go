package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/synth"
)

// beirData writes one synthetic BEIR data set per test binary, shared by
// the general-mode tests.
var beirData = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "hardneg-beir-test-")
	if err != nil {
		return "", err
	}
	d, err := synth.GenerateBEIR(synth.BEIRConfig{Docs: 4000, Queries: 200, Dim: 48, Seed: 11, DType: npy.Float32, HeldOut: 0.6})
	if err != nil {
		return "", err
	}
	return dir, d.WriteDir(dir)
})

func beirDir(t *testing.T) string {
	t.Helper()
	dir, err := beirData()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// beirTruth is the BEIR data set recomputed independently in float64.
type beirTruth struct {
	docIDs   []string
	doc      map[string]int
	docs     [][]float64 // unit rows
	queries  map[string][]float64
	pos      map[string][]string // judged positives per query
	heldOut  map[[2]string]bool  // (query, doc) relevant but unjudged
	queryIDs []string
}

func loadBEIRTruth(t *testing.T, dir string) *beirTruth {
	t.Helper()
	tr := &beirTruth{doc: map[string]int{}, queries: map[string][]float64{}, pos: map[string][]string{}, heldOut: map[[2]string]bool{}}
	ids := func(path string) []string {
		var out []string
		for _, m := range readLines(t, path) {
			out = append(out, m["_id"].(string))
		}
		return out
	}
	tr.docIDs = ids(filepath.Join(dir, synth.BEIRCorpus))
	for i, id := range tr.docIDs {
		tr.doc[id] = i
	}
	tr.docs = unitRows(t, filepath.Join(dir, synth.BEIRCorpusEmbeddings))
	tr.queryIDs = ids(filepath.Join(dir, synth.BEIRQueries))
	qrows := unitRows(t, filepath.Join(dir, synth.BEIRQueryEmbeddings))
	for i, id := range tr.queryIDs {
		tr.queries[id] = qrows[i]
	}
	readQrels(t, filepath.Join(dir, synth.BEIRQrels), func(q, d string, score float64) {
		if _, ok := tr.doc[d]; ok && score > 0 && !slices.Contains(tr.pos[q], d) {
			tr.pos[q] = append(tr.pos[q], d)
		}
	})
	readQrels(t, filepath.Join(dir, synth.BEIRHeldOut), func(q, d string, _ float64) { tr.heldOut[[2]string{q, d}] = true })
	return tr
}

func readQrels(t *testing.T, path string, fn func(q, d string, score float64)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if len(fields) != 3 {
			continue
		}
		var score float64
		if err := json.Unmarshal([]byte(fields[2]), &score); err != nil {
			t.Fatal(err)
		}
		fn(fields[0], fields[1], score)
	}
}

func unitRows(t *testing.T, path string) [][]float64 {
	t.Helper()
	f, err := npy.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	row := make([]float32, f.Cols())
	var out [][]float64
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
		out = append(out, v)
	}
	return out
}

func dot64(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

// ranked is one query's candidates, most similar first, in float64.
type ranked struct {
	id  string
	sim float64
}

// eligible lists a query's candidates left by the rules under test: every
// document but its positives, without near-copies of a positive (cosine at
// least nd to one) and within the relative margin.
func (tr *beirTruth) eligible(q string, nd, margin float64) []ranked {
	qv := tr.queries[q]
	low := math.Inf(1)
	var posRows [][]float64
	for _, p := range tr.pos[q] {
		low = min(low, dot64(qv, tr.docs[tr.doc[p]]))
		posRows = append(posRows, tr.docs[tr.doc[p]])
	}
	var out []ranked
	for i, id := range tr.docIDs {
		if slices.Contains(tr.pos[q], id) {
			continue
		}
		dup := false
		for _, pv := range posRows {
			if nd > 0 && dot64(pv, tr.docs[i]) >= nd {
				dup = true
			}
		}
		s := dot64(qv, tr.docs[i])
		if dup || (margin > 0 && s > low-math.Abs(low)*margin) {
			continue
		}
		out = append(out, ranked{id, s})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].sim > out[j].sim })
	return out
}

// TestGeneralEndToEnd mines queries against a corpus with a rank window,
// top sampling, a relative margin and the near-duplicate guard, and checks
// every promise from the written files against a float64 recomputation;
// then it checks that threads and shards change no byte.
func TestGeneralEndToEnd(t *testing.T) {
	data := beirDir(t)
	tr := loadBEIRTruth(t, data)
	const nd, margin, lo, hi, k = 0.95, 0.05, 2, 30, 5
	args := []string{"mine", "--beir-dir", data, "--no-bands", "--range-min", "2", "--range-max", "30", "--sampling", "top",
		"-n", "5", "--relative-margin", "0.05", "--exclude-near-duplicates", "0.95", "--with-scores", "--with-ids", "--split-by", "anchor", "-q"}
	out1, out2 := t.TempDir(), t.TempDir()
	runCLI(t, append(args, "--out", out1, "--threads", "1")...)
	runCLI(t, append(args, "--out", out2, "--threads", "2")...)

	rows := slices.Concat(readLines(t, filepath.Join(out1, triplets.TrainJSONL)), readLines(t, filepath.Join(out1, triplets.ValJSONL)))
	if len(rows) == 0 {
		t.Fatal("no rows")
	}
	chosen := map[string][]ranked{}
	for _, m := range rows {
		q, p, n := m["query_id"].(string), m["positive_id"].(string), m["negative_id"].(string)
		if !slices.Contains(tr.pos[q], p) {
			t.Fatalf("%s is not a positive of %s", p, q)
		}
		if slices.Contains(tr.pos[q], n) {
			t.Fatalf("negative %s of %s is a positive", n, q)
		}
		s := m["negative_similarity"].(float64)
		if want := dot64(tr.queries[q], tr.docs[tr.doc[n]]); math.Abs(s-want) > 1e-5 {
			t.Fatalf("%s, %s: similarity %v, float64 gives %v", q, n, s, want)
		}
		if m["difficulty"] != "all" {
			t.Fatalf("difficulty %v without bands", m["difficulty"])
		}
		if !slices.ContainsFunc(chosen[q], func(r ranked) bool { return r.id == n }) {
			chosen[q] = append(chosen[q], ranked{n, s})
		}
	}
	const eps = 1e-5 // float32 similarities against float64 ones
	for q, negs := range chosen {
		el := tr.eligible(q, nd, margin)
		for _, n := range negs {
			// its rank: how many eligible candidates are surely above it,
			// and how many may be
			above, maybe := 0, 0
			for _, e := range el {
				if e.sim > n.sim+eps {
					above++
				}
				if e.sim > n.sim-eps && e.id != n.id {
					maybe++
				}
			}
			if above >= hi || maybe < lo {
				t.Fatalf("%s: negative %s ranks %d to %d among the eligible, outside [%d, %d)", q, n.id, above, maybe, lo, hi)
			}
			low := math.Inf(1)
			for _, p := range tr.pos[q] {
				low = min(low, dot64(tr.queries[q], tr.docs[tr.doc[p]]))
				if c := dot64(tr.docs[tr.doc[p]], tr.docs[tr.doc[n.id]]); c >= nd+eps {
					t.Fatalf("%s: negative %s is a near-duplicate (%.4f) of positive %s", q, n.id, c, p)
				}
			}
			if n.sim > low-math.Abs(low)*margin+eps {
				t.Fatalf("%s: negative %s at %.5f breaks the margin below %.5f", q, n.id, n.sim, low)
			}
		}
		// top: exactly the ranks lo .. lo+k-1, when the window holds them
		// (rows are shuffled, so the negatives are compared in order of
		// similarity)
		sort.Slice(negs, func(i, j int) bool { return negs[i].sim > negs[j].sim })
		if len(el) >= lo+k {
			want := el[lo : lo+k]
			for i, n := range negs {
				if math.Abs(n.sim-want[i].sim) > eps {
					t.Fatalf("%s: negative %d is %s at %.6f, the exact top gives %s at %.6f", q, i, n.id, n.sim, want[i].id, want[i].sim)
				}
			}
		}
	}

	// Threads and shards change no byte.
	a := treeBytes(t, out1)
	for name, b := range treeBytes(t, out2) {
		if !bytes.Equal(a[name], b) {
			t.Errorf("%s differs between --threads 1 and 2", name)
		}
	}
	for _, g := range [][2]int{{1, 1}, {3, 1}, {1, 4}, {3, 4}} {
		merged := t.TempDir()
		runCLI(t, "merge", "--out", merged, mineGrid(t, args, g[0], g[1]), "-q")
		sameTree(t, a, treeBytes(t, merged), fmt.Sprintf("the merge of %d x %d shards", g[0], g[1]))
	}
}

// TestGeneralBandsAndSimANS mines a corpus with the notebook's bands and
// SimANS sampling in a rank window: labels follow the similarities, every
// negative lies in its window, and threads and shards change no byte.
func TestGeneralBandsAndSimANS(t *testing.T) {
	data := beirDir(t)
	tr := loadBEIRTruth(t, data)
	args := []string{"mine", "--beir-dir", data, "--range-max", "100", "--sampling", "simans", "--simans-a", "20",
		"--format", "n-tuple", "-n", "3", "--with-ids", "--split-by", "component", "-q"}
	out1, out2, merged, streamed := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
	runCLI(t, append(args, "--out", out1, "--threads", "1")...)
	runCLI(t, append(args, "--out", out2, "--threads", "2")...)
	runCLI(t, append(args, "--out", streamed, "--chunk-rows", "97")...)
	runCLI(t, "merge", "--out", merged, mineGrid(t, append(args, "--chunk-rows", "50"), 3, 4), "-q")
	a := treeBytes(t, out1)
	for _, other := range []string{out2, merged, streamed} {
		b := treeBytes(t, other)
		for name := range a {
			if !bytes.Equal(a[name], b[name]) {
				t.Errorf("%s differs in %s", name, other)
			}
		}
	}
	spec := "ntuple"
	lines := readLines(t, filepath.Join(out1, "train_"+spec+"s.jsonl"))
	if len(lines) == 0 {
		t.Fatal("no n-tuples")
	}
	for _, m := range lines {
		q := m["query_id"].(string)
		el := tr.eligible(q, 0, 0)
		for _, n := range m["negative_id"].([]any) {
			s := dot64(tr.queries[q], tr.docs[tr.doc[n.(string)]])
			if s < 0.3-1e-6 || s >= 0.9+1e-6 {
				t.Fatalf("%s: negative %s at %.4f is in no band", q, n, s)
			}
			above := 0
			for _, e := range el {
				if e.sim > s+1e-5 {
					above++
				}
			}
			if above >= 100 {
				t.Fatalf("%s: negative %s ranks %d, outside the window of 100", q, n, above)
			}
		}
	}
}

// falseNegativeShare mines with the given flags and counts the distinct
// (query, negative) pairs that are relevant documents the qrels do not
// judge.
func falseNegativeShare(t *testing.T, data string, tr *beirTruth, flags ...string) (held, total int) {
	t.Helper()
	out := t.TempDir()
	runCLI(t, append([]string{"mine", "--beir-dir", data, "--out", out, "--with-ids", "-q"}, flags...)...)
	seen := map[[2]string]bool{}
	for _, f := range []string{triplets.TrainJSONL, triplets.ValJSONL} {
		for _, m := range readLines(t, filepath.Join(out, f)) {
			seen[[2]string{m["query_id"].(string), m["negative_id"].(string)}] = true
		}
	}
	for p := range seen {
		if tr.heldOut[p] {
			held++
		}
	}
	return held, len(seen)
}

// TestCorpusGuardsCutFalseNegatives measures the share of mined negatives
// that are relevant but unjudged documents, with naive top-k and with the
// positive-aware margin and the near-duplicate guard: the guards must cut
// it tenfold.
func TestCorpusGuardsCutFalseNegatives(t *testing.T) {
	data := beirDir(t)
	tr := loadBEIRTruth(t, data)
	naive := []string{"--no-bands", "--sampling", "top", "-n", "5"}
	guarded := append(slices.Clone(naive), corpusGuardFlags...)
	nh, nt := falseNegativeShare(t, data, tr, naive...)
	gh, gt := falseNegativeShare(t, data, tr, guarded...)
	t.Logf("naive top-5: %d of %d negatives are unjudged relevant documents (%.2f%%)", nh, nt, 100*float64(nh)/float64(nt))
	t.Logf("with %v: %d of %d (%.2f%%)", corpusGuardFlags, gh, gt, 100*float64(gh)/float64(gt))
	if nh < 50 {
		t.Fatalf("only %d false negatives with naive top-k: the data does not show the problem", nh)
	}
	if share, base := float64(gh)/float64(gt), float64(nh)/float64(nt); share*10 > base {
		t.Errorf("the guards cut the false-negative share from %.4f to %.4f, less than tenfold", base, share)
	}
}

// corpusGuardFlags are the guards the closing measurement uses.
var corpusGuardFlags = []string{"--relative-margin", "0.05", "--exclude-near-duplicates", "0.95"}

// TestStreamedCorpusMatchesResident streams the corpus through the scan in
// small chunks, in both jobs and with the modes that keep different state,
// and wants the bytes of the run that holds it whole.
func TestStreamedCorpusMatchesResident(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"synonym guards", []string{"--data-dir", goldenData, "--exclude", "hops:2", "--exclude-contains", "2", "--max-negative-reuse", "3", "--relative-margin", "0.05"}},
		{"corpus bands", []string{"--beir-dir", beirDir(t), "--exclude-near-duplicates", "0.95", "--with-scores"}},
		{"corpus window", []string{"--beir-dir", beirDir(t), "--no-bands", "--range-min", "3", "--sampling", "top", "--format", "labeled-list"}},
		{"corpus simans", []string{"--beir-dir", beirDir(t), "--range-max", "60", "--sampling", "simans", "--simans-a", "20", "--store", "f16"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			whole, streamed := t.TempDir(), t.TempDir()
			runCLI(t, append([]string{"mine", "--out", whole, "-q"}, tc.args...)...)
			runCLI(t, append([]string{"mine", "--out", streamed, "-q", "--chunk-rows", "97"}, tc.args...)...)
			a, b := treeBytes(t, whole), treeBytes(t, streamed)
			for name := range a {
				if !bytes.Equal(a[name], b[name]) {
					t.Errorf("%s differs between the resident and the streamed corpus", name)
				}
			}
		})
	}
}
