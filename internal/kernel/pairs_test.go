package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// pairRows makes n pairs of rows of length k, each from its own
// allocation with a guard value after it, with values of every scale:
// subnormal, signed zeros, and large enough to round.
func pairRows(r *rand.Rand, n, k int) (xs, ys [][]float32) {
	row := func() []float32 {
		x := make([]float32, k+1)
		for p := range k {
			switch r.IntN(10) {
			case 0:
				x[p] = float32(math.Copysign(0, r.NormFloat64()))
			case 1:
				x[p] = float32(r.NormFloat64() * 1e-41) // subnormal products
			case 2:
				x[p] = float32(r.NormFloat64() * 1e15)
			default:
				x[p] = float32(r.NormFloat64())
			}
		}
		x[k] = float32(math.NaN()) // must never be read
		return x[:k]
	}
	for range n {
		xs, ys = append(xs, row()), append(ys, row())
	}
	return xs, ys
}

// TestDotPairsMatchesDot wants every pair's sum with the bits of dot, on
// both paths, for lengths around the kernel's step of 8 and counts around
// its group of 8.
func TestDotPairsMatchesDot(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 17))
	for _, k := range []int{0, 1, 7, 8, 9, 15, 16, 63, 64, 100, 1024, 1031} {
		for _, n := range []int{1, 3, 4, 7, 8, 9, 17} {
			xs, ys := pairRows(r, n, k)
			for _, generic := range []bool{true, false} {
				if !generic && !asmSupported() {
					continue
				}
				t.Run(fmt.Sprintf("k=%d/n=%d/generic=%v", k, n, generic), func(t *testing.T) {
					ForceGeneric(generic)
					defer ForceGeneric(false)
					out := make([]float32, n+1)
					out[n] = 42 // guard
					DotPairs(xs, ys, out)
					for q := range n {
						if want := dot(xs[q], ys[q]); math.Float32bits(out[q]) != math.Float32bits(want) {
							t.Fatalf("pair %d: %v, want %v", q, out[q], want)
						}
					}
					if out[n] != 42 {
						t.Fatal("wrote past the output")
					}
				})
			}
		}
	}
}

func FuzzDotPairs(f *testing.F) {
	f.Add(uint64(1), uint16(1024), uint8(8))
	f.Fuzz(func(t *testing.T, seed uint64, k uint16, n uint8) {
		r := rand.New(rand.NewPCG(seed, 2))
		xs, ys := pairRows(r, int(n%20)+1, int(k%1100))
		out := make([]float32, len(xs))
		DotPairs(xs, ys, out)
		for q := range xs {
			if want := dot(xs[q], ys[q]); math.Float32bits(out[q]) != math.Float32bits(want) {
				t.Fatalf("pair %d of %d, k %d: %v, want %v", q, len(xs), len(xs[q]), out[q], want)
			}
		}
	})
}

func TestDotPairsPanicsOnBadArguments(t *testing.T) {
	x := [][]float32{make([]float32, 8), make([]float32, 9)}
	for name, fn := range map[string]func(){
		"rows of two lengths": func() { DotPairs(x, x, make([]float32, 2)) },
		"short ys":            func() { DotPairs(x[:1], [][]float32{make([]float32, 7)}, make([]float32, 1)) },
		"short out":           func() { DotPairs(x[:1], x[:1], nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			fn()
		}()
	}
}

// BenchmarkDotPairs re-checks 48 scattered pairs of 1024-long rows, about
// what a tile of the seed-scale scan leaves, and reports the time per pair.
func BenchmarkDotPairs(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 3))
	xs, ys := pairRows(r, 48, 1024)
	out := make([]float32, len(xs))
	for _, generic := range []bool{false, true} {
		b.Run(map[bool]string{false: "path=best", true: "path=generic"}[generic], func(b *testing.B) {
			ForceGeneric(generic)
			defer ForceGeneric(false)
			for range b.N {
				DotPairs(xs, ys, out)
			}
			b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N*len(xs)), "ns/pair")
		})
	}
}
