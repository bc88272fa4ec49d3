package mine

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hardneg/hardneg/synth"
)

// beirData writes a small BEIR-layout data set and returns its folder.
func beirData(t *testing.T) string {
	t.Helper()
	cfg := synth.DefaultBEIRConfig()
	cfg.Docs, cfg.Queries, cfg.Dim = 6000, 300, 48
	d, err := synth.GenerateBEIR(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := d.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func beirSettings(dir, out string) Settings {
	s := DefaultSettings("")
	s.Inputs, s.OutDir = BEIRInputs(dir), out
	return s
}

// TestPlanIsWhatTheTaskDoes wants the cost model's largest task of a grid
// to be the task the run would make: the same anchors (the query shard
// with the most), the same corpus rows, and the memory plan the task
// itself makes before it starts, resident or streamed.
func TestPlanIsWhatTheTaskDoes(t *testing.T) {
	dir := beirData(t)
	s := beirSettings(dir, t.TempDir())
	z, err := ReadSizes(s)
	if err != nil {
		t.Fatal(err)
	}
	in, err := readInputs(s, Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.close()
	p := in.problem
	if z.Anchors() != len(p.Anchors) || z.Corpus != p.Corpus.Len() || z.Queries != p.Queries.Len() || z.Dim != 48 {
		t.Fatalf("sizes %d anchors, %d x %d, %d queries; the problem has %d anchors, %d documents, %d queries",
			z.Anchors(), z.Corpus, z.Dim, z.Queries, len(p.Anchors), p.Corpus.Len(), p.Queries.Len())
	}
	whole, err := z.Estimate(1, 1, 2, 0, DefaultSpeeds)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range [][2]int{{1, 1}, {3, 1}, {1, 4}, {3, 4}} {
		for _, budget := range []int64{0, whole.Task.Memory.Fixed + whole.Task.Memory.CorpusMatrix*2/3} {
			e, err := z.Estimate(g[0], g[1], 2, budget, DefaultSpeeds)
			if err != nil {
				t.Fatal(err)
			}
			c := e.Task.Cell
			var sel []int
			counts := make([]int, g[0])
			for i, a := range p.Anchors {
				k := ShardOf(p.Queries.ID(a.Query), g[0])
				counts[k]++
				if k == c.K {
					sel = append(sel, i)
				}
			}
			if len(sel) != slices.Max(counts) || e.Task.Anchors != len(sel) {
				t.Errorf("%dx%d: the plan's largest task has %d anchors, query shard %d has %d, the largest %d", g[0], g[1], e.Task.Anchors, c.K, len(sel), slices.Max(counts))
			}
			s := s
			s.MaxMemory = budget
			pr, err := prepare(context.Background(), s, in, sel, c.J, c.M, 2, Hooks{}, newTimer())
			if err != nil {
				t.Fatal(err)
			}
			if budget == 0 {
				pr.Plan.Budget = 0 // prepare falls back to the available memory
			}
			got, want := e.Task.Memory, pr.Plan
			got.From, want.From = "", ""
			if got != want || e.Task.CorpusRows != pr.Hi-pr.Lo {
				t.Errorf("%dx%d with budget %d: the plan says %+v for %d corpus rows, the task %+v for %d", g[0], g[1], budget, got, e.Task.CorpusRows, want, pr.Hi-pr.Lo)
			}
			if budget > 0 && g[1] == 1 && got.Resident {
				t.Errorf("%dx%d: a budget of two thirds of the corpus matrix left it resident", g[0], g[1])
			}
		}
	}
}

// TestBudgetStreamsTheSameBytes runs within a budget that holds two thirds of
// the corpus matrix, so that the corpus streams in chunks the plan sizes,
// and wants the outputs of a run that holds it whole.
func TestBudgetStreamsTheSameBytes(t *testing.T) {
	dir := beirData(t)
	whole := beirSettings(dir, t.TempDir())
	z, err := ReadSizes(whole)
	if err != nil {
		t.Fatal(err)
	}
	e, err := z.Estimate(1, 1, 2, 0, DefaultSpeeds)
	if err != nil {
		t.Fatal(err)
	}
	streamed := beirSettings(dir, t.TempDir())
	streamed.MaxMemory = e.Task.Memory.Fixed + e.Task.Memory.CorpusMatrix*2/3
	var logs bytes.Buffer
	for _, s := range []Settings{whole, streamed} {
		if _, err := Run(context.Background(), s, Hooks{Log: &logs}); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Contains(logs.Bytes(), []byte("rows at a time to stay within")) {
		t.Fatalf("the budgeted run did not stream its corpus:\n%s", logs.String())
	}
	spec := whole.Spec()
	for _, name := range []string{spec.TrainJSONL, spec.ValJSONL} {
		a, _ := os.ReadFile(filepath.Join(whole.OutDir, name))
		b, _ := os.ReadFile(filepath.Join(streamed.OutDir, name))
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the resident and the streamed corpus", name)
		}
	}
}

// TestRecommend wants the recommended grid to meet the deadline and the
// budget, and no grid of fewer tasks to meet them.
func TestRecommend(t *testing.T) {
	z, err := ReadSizes(beirSettings(beirData(t), "out"))
	if err != nil {
		t.Fatal(err)
	}
	// Slow speeds, so that the deadlines below need grids.
	sp := Speeds{ScanGFLOPS: 0.01, ExactGFLOPS: 0.01, SelectNs: 50, LoadMBps: 100, TextMBps: 100, RowUs: 1}
	one, _ := z.Estimate(1, 1, 1, 0, sp)
	for _, deadline := range []time.Duration{one.Wall * 2, one.Wall / 3, one.Wall / 10} {
		e, ok, err := z.Recommend(1, 0, deadline, 64, sp)
		if err != nil {
			t.Fatal(err)
		}
		if !ok || e.Wall > deadline {
			t.Fatalf("deadline %s: recommended %dx%d taking %s (ok %v)", deadline, e.N, e.M, e.Wall, ok)
		}
		for tasks := 1; tasks < e.N*e.M; tasks++ {
			for n := 1; n <= tasks; n++ {
				if tasks%n != 0 {
					continue
				}
				f, _ := z.Estimate(n, tasks/n, 1, 0, sp)
				if f.Wall <= deadline {
					t.Errorf("deadline %s: %dx%d (%s) meets it with fewer tasks than the recommended %dx%d", deadline, n, tasks/n, f.Wall, e.N, e.M)
				}
			}
		}
	}
	if _, ok, _ := z.Recommend(1, 0, time.Millisecond, 4, sp); ok {
		t.Error("a 1 ms deadline was met by at most 4 tasks")
	}
}

// TestPlanExactUsesTheFloat32Rate holds the scan's time to the screened
// rate by default and to the float32 rate under --exact.
func TestPlanExactUsesTheFloat32Rate(t *testing.T) {
	sp := Speeds{ScanGFLOPS: 2, ExactGFLOPS: 1, SelectNs: 0, LoadMBps: 100, TextMBps: 100, RowUs: 1}
	scan := map[bool]time.Duration{}
	for _, exact := range []bool{false, true} {
		s := beirSettings(beirData(t), "out")
		s.Exact = exact
		z, err := ReadSizes(s)
		if err != nil {
			t.Fatal(err)
		}
		e, _ := z.Estimate(1, 1, 1, 0, sp)
		scan[exact] = e.Task.Scan
	}
	if scan[false] <= 0 || math.Abs(float64(scan[true])/float64(scan[false])-2) > 0.01 {
		t.Fatalf("scan %s screened, %s exact: want the exact one twice as long", scan[false], scan[true])
	}
}
