//go:build noasm || !amd64

package kernel

func asmSupported() bool { return false }

func dot16x6(k int, panel, cand []float32, ldc int, c []float32, stride int, accumulate bool) {
	panic("kernel: no assembly kernel in this build")
}

func screen16x6(kc int, panel, cand []int16, ldb int, c []float32, stride int, first, last bool, sa, sb []float32) {
	panic("kernel: no assembly kernel in this build")
}

func classify16(n int, c []float32, stride int, h []uint32, seeds *[16]uint32, edges, win []float32, counts []int32, limits []uint32, flags []uint16) {
	panic("kernel: no assembly kernel in this build")
}

func dotPairs8(k8 int, xs, ys *[8]*float32, out *[8]float32) {
	panic("kernel: no assembly kernel in this build")
}

const hasF16C = false

func halfToFloat(dst []float32, src []uint16) {
	panic("kernel: no assembly kernel in this build")
}

func chunkStats(x []float32, w0 float64, out *[8]float64) uint32 {
	panic("kernel: no assembly kernel in this build")
}

func quantChunk(x []float32, q []int16, inv, r float64, e *[4]float64) float64 {
	panic("kernel: no assembly kernel in this build")
}
