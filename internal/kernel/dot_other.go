//go:build noasm || !amd64

package kernel

func asmSupported() bool { return false }

func dot16x6(k int, panel, cand []float32, ldc int, c []float32, stride int, accumulate bool) {
	panic("kernel: no assembly kernel in this build")
}
