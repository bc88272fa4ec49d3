package synth

import (
	"fmt"
	"testing"

	"github.com/hardneg/hardneg/npy"
)

var benchSizes = []struct{ terms, dim int }{
	{5000, 128},
	{20000, 128},
	{20000, 1024},
	{150000, 1024},
}

// BenchmarkGenerate reports bytes as the float32 matrix built.
func BenchmarkGenerate(b *testing.B) {
	for _, s := range benchSizes {
		b.Run(fmt.Sprintf("%dx%d", s.terms, s.dim), func(b *testing.B) {
			if s.terms*s.dim > 1<<26 && testing.Short() {
				b.Skip("full size skipped in -short mode")
			}
			cfg := Config{Terms: s.terms, Dim: s.dim, Seed: 1, DType: npy.Float16}
			b.SetBytes(int64(s.terms * s.dim * 4))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Generate(cfg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWriteDir reports bytes as the float32 matrix written.
func BenchmarkWriteDir(b *testing.B) {
	for _, c := range []struct {
		name string
		dt   npy.DType
	}{{"f16", npy.Float16}, {"f32", npy.Float32}} {
		dt := c.dt
		b.Run("20000x1024/"+c.name, func(b *testing.B) {
			d, err := Generate(Config{Terms: 20000, Dim: 1024, Seed: 1, DType: dt})
			if err != nil {
				b.Fatal(err)
			}
			dir := b.TempDir()
			b.SetBytes(int64(len(d.Embeddings) * 4))
			b.ReportAllocs()
			for b.Loop() {
				if err := d.WriteDir(dir); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
