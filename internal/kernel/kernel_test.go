package kernel

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// reference is the loop from Dots's documentation, written out plainly.
func reference(anchors [][]float32, cand []float32, ldc, n, k, stride int, c []float32) {
	for j := 0; j < n; j++ {
		for i, a := range anchors {
			var s float32
			for p := 0; p < k; p++ {
				s += float32(a[p] * cand[j*ldc+p])
			}
			c[j*stride+i] = s
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

const guard = float32(-12345)

// checkDots runs Dots on the current path and compares every output bit
// with the reference, and checks that nothing outside the outputs changed.
func checkDots(t *testing.T, r *rand.Rand, m, n, k, pad, offset int) {
	t.Helper()
	anchors := make([][]float32, m)
	for i := range anchors {
		anchors[i] = randSlice(r, k+pad)[:k+pad] // rows longer than k: only k are used
	}
	ldc := k + pad
	cand := randSlice(r, offset+n*ldc)[offset:]
	var b Block
	b.Load(anchors, k)
	stride := b.Stride()
	want := make([]float32, n*stride+8)
	got := make([]float32, n*stride+8)
	for i := range got {
		got[i], want[i] = guard, guard
	}
	reference(anchors, cand, ldc, n, k, stride, want)
	b.Dots(cand, ldc, n, got)
	for j := 0; j < n; j++ {
		for i := 0; i < stride; i++ {
			idx := j*stride + i
			if i >= m {
				continue // unspecified padding
			}
			if math.Float32bits(got[idx]) != math.Float32bits(want[idx]) {
				t.Fatalf("m=%d n=%d k=%d: c[%d][%d] = %v, want %v", m, n, k, j, i, got[idx], want[idx])
			}
		}
	}
	for idx := n * stride; idx < len(got); idx++ {
		if got[idx] != guard {
			t.Fatalf("m=%d n=%d k=%d: wrote past the output at %d", m, n, k, idx)
		}
	}
}

func bothPaths(t *testing.T, f func(t *testing.T)) {
	t.Run("best", func(t *testing.T) {
		ForceGeneric(false)
		f(t)
	})
	t.Run("generic", func(t *testing.T) {
		ForceGeneric(true)
		defer ForceGeneric(false)
		f(t)
	})
}

// TestDotsMatchReference covers odd shapes: partial panels, candidate counts
// that are not multiples of 6, unrolled-loop tails, strides and offsets.
func TestDotsMatchReference(t *testing.T) {
	bothPaths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for _, tc := range []struct{ m, n, k, pad, off int }{
			{1, 1, 1, 0, 0}, {16, 6, 4, 0, 0}, {16, 6, 8, 0, 0}, {3, 5, 7, 3, 1}, {17, 13, 33, 1, 3},
			{32, 12, 64, 0, 0}, {5, 9, 1024, 5, 2}, {40, 50, 3, 0, 0}, {0, 3, 4, 0, 0}, {3, 0, 4, 0, 0},
			{16, 7, 0, 0, 0}, {64, 48, 129, 2, 0},
		} {
			checkDots(t, r, tc.m, tc.n, tc.k, tc.pad, tc.off)
		}
	})
}

// TestPathsAgree runs both paths on the same data and compares bits: the
// property the scan's determinism rests on.
func TestPathsAgree(t *testing.T) {
	if !asmSupported() {
		t.Skip("no assembly kernel on this CPU or build")
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 20 {
		m, n, k := 1+r.IntN(70), 1+r.IntN(40), 1+r.IntN(300)
		compareOne(t, r, m, n, k)
	}
}

// sameTileBits fails t unless the assembly's tile outs[0] and the pure-Go
// twin's outs[1], m anchors by n candidates in the Block layout, agree bit
// for bit.
func sameTileBits(t testing.TB, outs [2][]float32, m, n, k int) {
	t.Helper()
	stride := (m + PanelRows - 1) / PanelRows * PanelRows
	for j := 0; j < n; j++ {
		for i := 0; i < m; i++ {
			a, g := outs[0][j*stride+i], outs[1][j*stride+i]
			if math.Float32bits(a) != math.Float32bits(g) {
				t.Fatalf("m=%d n=%d k=%d: [%d][%d] assembly %v, pure Go %v", m, n, k, j, i, a, g)
			}
		}
	}
}

func compareOne(t testing.TB, r *rand.Rand, m, n, k int) {
	anchors := make([][]float32, m)
	for i := range anchors {
		anchors[i] = randSlice(r, k)
	}
	cand := randSlice(r, n*k)
	outs := [2][]float32{}
	for path, generic := range []bool{false, true} {
		ForceGeneric(generic)
		var b Block
		b.Load(anchors, k)
		outs[path] = make([]float32, n*b.Stride())
		b.Dots(cand, k, n, outs[path])
	}
	ForceGeneric(false)
	sameTileBits(t, outs, m, n, k)
}

func FuzzPathsAgree(f *testing.F) {
	if !asmSupported() {
		f.Skip("no assembly kernel on this CPU or build")
	}
	f.Add(uint64(1), uint8(16), uint8(6), uint16(64))
	f.Add(uint64(2), uint8(17), uint8(7), uint16(5))
	f.Add(uint64(3), uint8(1), uint8(13), uint16(1024))
	f.Fuzz(func(t *testing.T, seed uint64, m, n uint8, k uint16) {
		if m == 0 || n == 0 || k == 0 || k > 2048 {
			return
		}
		compareOne(t, rand.New(rand.NewPCG(seed, seed)), int(m%80)+1, int(n%64)+1, int(k))
	})
}

func TestDotsPanicsOnShortSlices(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic for a too-short slice")
		}
	}()
	var b Block
	b.Load([][]float32{{1, 2, 3, 4}}, 4)
	b.Dots(make([]float32, 7), 4, 2, make([]float32, 32))
}

func BenchmarkDots(b *testing.B) {
	for _, generic := range []bool{false, true} {
		for _, sz := range []struct{ m, n, k int }{{64, 48, 64}, {256, 48, 256}, {256, 48, 1024}} {
			name := fmt.Sprintf("asm=%v/%dx%dx%d", !generic && asmSupported(), sz.m, sz.n, sz.k)
			b.Run(name, func(b *testing.B) {
				ForceGeneric(generic)
				defer ForceGeneric(false)
				r := rand.New(rand.NewPCG(1, 2))
				anchors := make([][]float32, sz.m)
				for i := range anchors {
					anchors[i] = randSlice(r, sz.k)
				}
				cand := randSlice(r, sz.n*sz.k)
				var blk Block
				blk.Load(anchors, sz.k)
				c := make([]float32, sz.n*blk.Stride())
				b.ResetTimer()
				for range b.N {
					blk.Dots(cand, sz.k, sz.n, c)
				}
				flops := 2 * float64(sz.m*sz.n*sz.k) * float64(b.N)
				b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
