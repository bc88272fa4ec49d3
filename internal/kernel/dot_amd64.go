//go:build !noasm

package kernel

import "golang.org/x/sys/cpu"

//go:generate sh -c "cd ../../_generate && go run . -out ../internal/kernel/dot_amd64.s -stubs ../internal/kernel/dot_stub_amd64.go -pkg kernel"
//go:generate sh -c "cd ../../_generate && go run . -probes -out ../internal/kernel/probe_amd64.s -stubs ../internal/kernel/probe_stub_amd64.go -pkg kernel"

// asmSupported reports whether the CPU and OS support the instructions the
// assembly kernels use: AVX, and AVX2 for the integer ones of the screen
// and the classifier (x/sys/cpu checks that the OS saves the registers).
// A CPU with AVX alone (Sandy Bridge, Ivy Bridge) takes the pure-Go path
// rather than fault on VPMADDWD.
func asmSupported() bool { return cpu.X86.HasAVX && cpu.X86.HasAVX2 }

// dot16x6 runs the assembly kernel on one panel and six candidates. The
// slices are checked here so that the assembly can trust them.
func dot16x6(k int, panel, cand []float32, ldc int, c []float32, stride int, accumulate bool) {
	if k < 1 || len(panel) < k*PanelRows || len(cand) < 5*ldc+k || len(c) < 5*stride+PanelRows {
		panic("kernel: bad arguments to dot16x6")
	}
	dot16x6AVX2(k, &panel[0], &cand[0], ldc, &c[0], stride, accumulate)
}

// screen16x6 runs the screening kernel on one panel and six candidates,
// over kc elements (even) of each. The slices are checked here so that the
// assembly can trust them.
func screen16x6(kc int, panel, cand []int16, ldb int, c []float32, stride int, first, last bool, sa, sb []float32) {
	if kc < 2 || kc%2 != 0 || len(panel) < kc*PanelRows || len(cand) < 5*ldb+kc || len(c) < 5*stride+PanelRows || len(sa) < PanelRows || len(sb) < 6 {
		panic("kernel: bad arguments to screen16x6")
	}
	screen16x6AVX2(kc/2, &panel[0], &cand[0], ldb, &c[0], stride, first, last, &sa[0], &sb[0])
}

func classify16(n int, c []float32, stride int, h []uint32, seeds *[16]uint32, edges, win []float32, counts []int32, limits []uint32, flags []uint16) {
	var w *float32
	if len(win) > 0 {
		w = &win[0]
	}
	classify16AVX2(n, &c[0], stride, &h[0], &seeds[0], &edges[0], len(edges)/2, &counts[0], &limits[0], &flags[0], w, len(win)/2)
}

func dotPairs8(k8 int, xs, ys *[8]*float32, out *[8]float32) {
	dotPairs8AVX2(k8, xs, ys, out)
}

var hasF16C = cpu.X86.HasF16C

func halfToFloat(dst []float32, src []uint16) {
	halfToFloatF16C(&dst[0], &src[0], len(dst)/8)
}

// chunkStats and quantChunk run the quantiser's passes over len(x)/4
// groups of four elements (len(x) a multiple of 4, at least 4).
func chunkStats(x []float32, w0 float64, out *[8]float64) uint32 {
	return chunkStatsAVX2(&x[0], len(x)/4, w0, out)
}

func quantChunk(x []float32, q []int16, inv, r float64, e *[4]float64) float64 {
	if len(q) < len(x) {
		panic("kernel: bad arguments to quantChunk")
	}
	return quantChunkAVX2(&x[0], &q[0], len(x)/4, inv, r, e)
}
