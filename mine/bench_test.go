package mine

import (
	"bufio"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/source"
	"github.com/hardneg/hardneg/synth"
)

// The seed-scale benchmark is opt-in: it writes a 150,000 x 1024 float16
// synth set (300 MB, kept in the system temp folder between runs) and mines
// it. Run it with
//
//	HARDNEG_BENCH_SEED=1 go test -run XXX -bench SeedScale -benchtime 1x ./mine/
//
// HARDNEG_BENCH_ANCHORS (default 28000, the seed scale) limits the anchors
// mined, for a quicker run.
// The baseline is the notebook's loop written plainly in Go, one anchor at a
// time: the float64 cosine to every term and the band lists (sampling, which
// would only add to it, left out); it runs on 20 anchors and reports the same
// anchors/s metric.
func BenchmarkSeedScale(b *testing.B) {
	if os.Getenv("HARDNEG_BENCH_SEED") == "" {
		b.Skip("set HARDNEG_BENCH_SEED=1 to run the 150,000 x 1024 benchmark")
	}
	anchors := 28000
	if s := os.Getenv("HARDNEG_BENCH_ANCHORS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		anchors = n
	}
	data := seedScaleData(b)
	pairs := limitPairs(b, data, anchors)

	b.Run("hardneg", func(b *testing.B) {
		var res *Result
		for range b.N {
			cfg := DefaultSettings(data)
			cfg.Inputs.Pairs = pairs
			cfg.OutDir = b.TempDir()
			var err error
			if res, err = Run(context.Background(), cfg, Hooks{}); err != nil {
				b.Fatal(err)
			}
		}
		n := float64(res.Stats.Dataset.UniqueAnchors)
		sec := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(n/sec, "anchors/s")
		b.ReportMetric(sec, "s/run")
		b.ReportMetric(n, "anchors")
		b.ReportMetric(28000/(n/sec), "s/28k-anchors")
	})

	b.Run("baseline", func(b *testing.B) {
		const few = 20
		emb := loadUnit(b, filepath.Join(data, source.EmbeddingsFile))
		b.ResetTimer()
		for range b.N {
			for a := range few {
				notebookLoop(emb, a*997%len(emb))
			}
		}
		sec := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(few/sec, "anchors/s")
		b.ReportMetric(28000/(few/sec), "s/28k-anchors")
	})
}

// notebookLoop is one iteration of the notebook's mine_hard_negatives: the
// similarity to every term, one at a time, appended to band lists.
func notebookLoop(emb [][]float32, anchor int) (easy, medium, hard []int) {
	a := emb[anchor]
	for i, row := range emb {
		if i == anchor {
			continue
		}
		var s float64
		for k := range a {
			s += float64(a[k]) * float64(row[k])
		}
		switch {
		case s >= 0.3 && s < 0.5:
			easy = append(easy, i)
		case s >= 0.5 && s < 0.7:
			medium = append(medium, i)
		case s >= 0.7 && s < 0.9:
			hard = append(hard, i)
		}
	}
	return
}

func loadUnit(b *testing.B, path string) [][]float32 {
	f, err := npy.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	out := make([][]float32, f.Rows())
	for i := range out {
		row := make([]float32, f.Cols())
		f.ReadFloat32(row, i)
		var ss float64
		for _, v := range row {
			ss += float64(v) * float64(v)
		}
		for k := range row {
			row[k] = float32(float64(row[k]) / math.Sqrt(ss))
		}
		out[i] = row
	}
	return out
}

func seedScaleData(b *testing.B) string {
	dir := filepath.Join(os.TempDir(), "hardneg-bench-150000x1024-f16")
	if _, err := os.Stat(filepath.Join(dir, source.EmbeddingsFile)); err == nil {
		return dir
	}
	start := time.Now()
	d, err := synth.Generate(synth.Config{Terms: 150000, Dim: 1024, Anchors: 28000, Seed: 42, DType: npy.Float16})
	if err != nil {
		b.Fatal(err)
	}
	if err := d.WriteDir(dir); err != nil {
		b.Fatal(err)
	}
	b.Logf("wrote the seed-scale synth set to %s in %s", dir, time.Since(start))
	return dir
}

// limitPairs writes the leading pairs that name about n distinct anchors.
func limitPairs(b *testing.B, dir string, n int) string {
	in, err := os.Open(filepath.Join(dir, source.PairsFile))
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	path := filepath.Join(b.TempDir(), "pairs.jsonl")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	seen := map[string]bool{}
	sc := bufio.NewScanner(in)
	for sc.Scan() && len(seen) < n {
		var p struct{ Source, Target string }
		if json.Unmarshal(sc.Bytes(), &p) == nil {
			seen[p.Source], seen[p.Target] = true, true
		}
		out.Write(append(sc.Bytes(), '\n'))
	}
	return path
}
