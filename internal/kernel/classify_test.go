package kernel

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// classifyCase builds similarities that hit band edges exactly, fall in gaps,
// and include -Inf and NaN, with keys and limits that make some lanes tie.
func classifyCase(r *rand.Rand, n, stride int, edges []float32) (c []float32, h []uint32, seeds [16]uint32, limits []uint32) {
	special := []float32{float32(math.Inf(-1)), float32(math.NaN()), 0, -1, 1}
	for _, e := range edges {
		special = append(special, e, math.Nextafter32(e, -2), math.Nextafter32(e, 2))
	}
	c = make([]float32, (n-1)*stride+PanelRows+3)
	for i := range c {
		if r.IntN(4) == 0 {
			c[i] = special[r.IntN(len(special))]
		} else {
			c[i] = float32(r.Float64()*1.4 - 0.2)
		}
	}
	h = make([]uint32, n)
	for j := range h {
		h[j] = r.Uint32()
	}
	for i := range seeds {
		seeds[i] = r.Uint32()
	}
	nb := len(edges) / 2
	limits = make([]uint32, nb*16)
	for i := range limits {
		switch r.IntN(4) {
		case 0:
			limits[i] = math.MaxUint32
		case 1:
			limits[i] = 0
		case 2:
			// exactly some candidate's key: the flag must be set (<=)
			limits[i] = Fmix32(seeds[i%16] ^ h[r.IntN(n)])
		default:
			limits[i] = r.Uint32()
		}
	}
	return
}

func runClassify(generic bool, n int, c []float32, stride int, h []uint32, seeds *[16]uint32, edges []float32, limits []uint32) ([]int32, []uint16) {
	return runClassifyWindows(generic, n, c, stride, h, seeds, edges, nil, limits)
}

func runClassifyWindows(generic bool, n int, c []float32, stride int, h []uint32, seeds *[16]uint32, edges, win []float32, limits []uint32) ([]int32, []uint16) {
	ForceGeneric(generic)
	defer ForceGeneric(false)
	counts := make([]int32, len(edges)/2*16)
	for i := range counts {
		counts[i] = int32(i) // counts accumulate onto what is there
	}
	flags := make([]uint16, n+1)
	flags[n] = 0xbeef // guard
	Classify16Windows(n, c, stride, h, seeds, edges, win, counts, limits, flags)
	return counts, flags
}

// windowsAround returns a window of half-width w around every edge, the
// edges' bands shrunk to what the windows leave: the layout the screen
// gives Classify16Windows.
func windowsAround(edges []float32, w float32) (shrunk, win []float32) {
	for b := 0; b < len(edges); b += 2 {
		shrunk = append(shrunk, edges[b]+w, edges[b+1]-w)
	}
	for k, e := range edges {
		if k > 0 && e == edges[k-1] {
			continue
		}
		win = append(win, e-w, e+w)
	}
	return shrunk, win
}

func TestClassify16PathsAgree(t *testing.T) {
	if !asmSupported() {
		t.Skip("no assembly kernel on this CPU or build")
	}
	r := rand.New(rand.NewPCG(9, 9))
	for _, edges := range [][]float32{
		{0.3, 0.5, 0.5, 0.7, 0.7, 0.9},
		{0.3, 0.5},
		{-0.5, 0, 0.25, 0.5, 0.6, 0.65, 0.8, 1.01}, // gaps between bands
	} {
		for _, n := range []int{1, 2, 7, 48} {
			for _, stride := range []int{16, 32, 64} {
				c, h, seeds, limits := classifyCase(r, n, stride, edges)
				cg, fg := runClassify(true, n, c, stride, h, &seeds, edges, limits)
				ca, fa := runClassify(false, n, c, stride, h, &seeds, edges, limits)
				if !slices.Equal(cg, ca) {
					t.Fatalf("edges %v n %d: counts pure Go %v, assembly %v", edges, n, cg, ca)
				}
				if !slices.Equal(fg, fa) {
					t.Fatalf("edges %v n %d: flags pure Go %x, assembly %x", edges, n, fg, fa)
				}
				if fa[n] != 0xbeef {
					t.Fatal("wrote past the flags")
				}
				// and with windows around the edges
				shrunk, win := windowsAround(edges, 0.01)
				cg, fg = runClassifyWindows(true, n, c, stride, h, &seeds, shrunk, win, limits)
				ca, fa = runClassifyWindows(false, n, c, stride, h, &seeds, shrunk, win, limits)
				if !slices.Equal(cg, ca) || !slices.Equal(fg, fa) {
					t.Fatalf("edges %v windows %v n %d: pure Go counts %v flags %x, assembly %v %x", shrunk, win, n, cg, fg, ca, fa)
				}
			}
		}
	}
}

// TestClassify16WindowsReference checks both paths against the documented
// loop: a similarity in a window is flagged and counted nowhere, one in a
// shrunk band as Classify16 would.
func TestClassify16WindowsReference(t *testing.T) {
	edges := []float32{0.31, 0.49, 0.51, 0.69}
	win := []float32{0.29, 0.31, 0.49, 0.51, 0.69, 0.71}
	c := make([]float32, 16)
	copy(c, []float32{0.3, 0.5, 0.7, 0.31, 0.49, 0.29, 0.71, 0.6, float32(math.NaN()), float32(math.Inf(-1)), 0.2, 0.8})
	h := []uint32{777}
	var seeds [16]uint32
	limits := make([]uint32, 32) // no sample entrant: only windows flag
	for _, generic := range []bool{true, false} {
		if !generic && !asmSupported() {
			continue
		}
		counts, flags := runClassifyWindows(generic, 1, c, 16, h, &seeds, edges, win, limits)
		wantCounts := make([]int32, 32)
		for i := range wantCounts {
			wantCounts[i] = int32(i)
		}
		wantCounts[3]++    // 0.31 in band 0
		wantCounts[16+7]++ // 0.6 in band 1
		if !slices.Equal(counts, wantCounts) {
			t.Errorf("generic=%v: counts %v, want %v", generic, counts, wantCounts)
		}
		// 0.3, 0.5, 0.7 (lanes 0-2), 0.49 (lane 4; 0.49 is the band's top, so
		// in the window) and 0.29 (lane 5) are in windows; 0.71 is not.
		if want := uint16(1<<0 | 1<<1 | 1<<2 | 1<<4 | 1<<5); flags[0] != want {
			t.Errorf("generic=%v: flags %016b, want %016b", generic, flags[0], want)
		}
	}
}

// TestClassify16Reference checks the pure-Go path against the documented
// loop on a hand-made panel.
func TestClassify16Reference(t *testing.T) {
	edges := []float32{0.3, 0.5, 0.5, 0.7}
	c := make([]float32, 16)
	copy(c, []float32{0.3, 0.5, 0.7, math.Nextafter32(0.3, 0), 0.49, float32(math.Inf(-1)), float32(math.NaN()), 0.6})
	h := []uint32{12345}
	var seeds [16]uint32
	limits := make([]uint32, 32)
	for i := range limits {
		limits[i] = math.MaxUint32
	}
	limits[16+1] = Fmix32(seeds[1]^h[0]) - 1 // lane 1 (0.5, band 1) just misses
	for _, generic := range []bool{true, false} {
		if !generic && !asmSupported() {
			continue
		}
		counts, flags := runClassify(generic, 1, c, 16, h, &seeds, edges, limits)
		// lane 0: 0.3 in band 0; lane 1: 0.5 in band 1; lane 4: 0.49 in band 0; lane 7: 0.6 in band 1.
		wantCounts := make([]int32, 32)
		for i := range wantCounts {
			wantCounts[i] = int32(i)
		}
		wantCounts[0]++
		wantCounts[4]++
		wantCounts[16+1]++
		wantCounts[16+7]++
		if !slices.Equal(counts, wantCounts) {
			t.Errorf("generic=%v: counts %v, want %v", generic, counts, wantCounts)
		}
		if want := uint16(1<<0 | 1<<4 | 1<<7); flags[0] != want {
			t.Errorf("generic=%v: flags %016b, want %016b", generic, flags[0], want)
		}
	}
}

func FuzzClassify16(f *testing.F) {
	if !asmSupported() {
		f.Skip("no assembly kernel on this CPU or build")
	}
	f.Add(uint64(1), uint8(5), uint8(3))
	f.Fuzz(func(t *testing.T, seed uint64, n, nb uint8) {
		r := rand.New(rand.NewPCG(seed, 1))
		nbands := int(nb%4) + 1
		edges := make([]float32, 0, 2*nbands)
		x := float32(-0.5)
		for range nbands {
			lo := x + float32(r.Float64()*0.2)
			hi := lo + float32(r.Float64()*0.4) + 1e-3
			edges = append(edges, lo, hi)
			x = hi
		}
		nn := int(n%50) + 1
		c, h, seeds, limits := classifyCase(r, nn, 16, edges)
		cg, fg := runClassify(true, nn, c, 16, h, &seeds, edges, limits)
		ca, fa := runClassify(false, nn, c, 16, h, &seeds, edges, limits)
		if !slices.Equal(cg, ca) || !slices.Equal(fg, fa) {
			t.Fatalf("paths disagree: counts %v vs %v, flags %x vs %x", cg, ca, fg, fa)
		}
		shrunk, win := windowsAround(edges, float32(r.Float64()*1e-3))
		cg, fg = runClassifyWindows(true, nn, c, 16, h, &seeds, shrunk, win, limits)
		ca, fa = runClassifyWindows(false, nn, c, 16, h, &seeds, shrunk, win, limits)
		if !slices.Equal(cg, ca) || !slices.Equal(fg, fa) {
			t.Fatalf("paths disagree with windows: counts %v vs %v, flags %x vs %x", cg, ca, fg, fa)
		}
	})
}

func BenchmarkClassify16(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	edges := []float32{0.3, 0.5, 0.5, 0.7, 0.7, 0.9}
	const n = 48
	c, h, seeds, _ := classifyCase(r, n, 256, edges)
	limits := make([]uint32, 48)
	for i := range limits {
		limits[i] = 1 << 20
	}
	for _, generic := range []bool{false, true} {
		b.Run(map[bool]string{false: "best", true: "generic"}[generic], func(b *testing.B) {
			ForceGeneric(generic)
			defer ForceGeneric(false)
			counts := make([]int32, 48)
			flags := make([]uint16, n)
			for range b.N {
				Classify16(n, c, 256, h, &seeds, edges, counts, limits, flags)
			}
			b.ReportMetric(float64(n*16)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gsims/s")
		})
	}
}
