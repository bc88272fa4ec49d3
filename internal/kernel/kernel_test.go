package kernel

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// reference is the loop from DotTile's documentation, written out plainly.
func reference(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p++ {
				s += float32(a[i*lda+p] * b[j*ldb+p])
			}
			c[i*ldc+j] = s
		}
	}
}

func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.NormFloat64())
	}
	return s
}

// TestDotTileMatchesReference checks bit-identical results on odd shapes and
// strides, and that the kernel writes nothing outside the tile.
func TestDotTileMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ m, n, k, pad int }{
		{1, 1, 1, 0}, {2, 4, 8, 0}, {3, 5, 7, 3}, {7, 13, 33, 1}, {16, 16, 64, 0}, {5, 9, 1024, 5}, {0, 3, 4, 0}, {3, 0, 4, 0}, {2, 3, 0, 0},
	} {
		t.Run(fmt.Sprintf("%dx%dx%d+%d", tc.m, tc.n, tc.k, tc.pad), func(t *testing.T) {
			lda, ldb, ldc := tc.k+tc.pad, tc.k+tc.pad+1, tc.n+tc.pad
			a := randSlice(r, tc.m*lda+1)
			b := randSlice(r, tc.n*ldb+1)
			want := make([]float32, tc.m*ldc+8)
			got := make([]float32, tc.m*ldc+8)
			const guard = float32(-12345)
			for i := range got {
				got[i], want[i] = guard, guard
			}
			reference(tc.m, tc.n, tc.k, a, lda, b, ldb, want, ldc)
			DotTile(tc.m, tc.n, tc.k, a, lda, b, ldb, got, ldc)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("c[%d] = %v, want %v", i, got[i], want[i])
				}
			}
		})
	}
}

func TestDotTilePanicsOnShortSlices(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a too-short slice")
		}
	}()
	DotTile(2, 2, 4, make([]float32, 7), 4, make([]float32, 8), 4, make([]float32, 4), 2)
}

func BenchmarkDotTile(b *testing.B) {
	for _, sz := range []struct{ m, n, k int }{{64, 64, 64}, {128, 128, 256}, {128, 256, 1024}} {
		b.Run(fmt.Sprintf("%dx%dx%d", sz.m, sz.n, sz.k), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, 2))
			a, bb := randSlice(r, sz.m*sz.k), randSlice(r, sz.n*sz.k)
			c := make([]float32, sz.m*sz.n)
			b.ResetTimer()
			for range b.N {
				DotTile(sz.m, sz.n, sz.k, a, sz.k, bb, sz.k, c, sz.n)
			}
			flops := 2 * float64(sz.m*sz.n*sz.k) * float64(b.N)
			b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
