package synth

import "math/rand/v2"

// Random streams. Every random choice comes from a PCG seeded by
// (Config.Seed, stream, index), so that parallel work gives the same bytes
// as serial work.
const (
	streamLayout uint64 = iota + 1
	streamNames
	streamGlobal
	streamTopic
	streamPairs
	streamBlank
	streamHeldOut
)

func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func newPCG(seed, stream, idx uint64) *rand.PCG {
	return rand.NewPCG(splitmix64(seed^splitmix64(stream)), splitmix64(splitmix64(idx)^(stream<<56)))
}

func newRand(seed, stream, idx uint64) *rand.Rand {
	return rand.New(newPCG(seed, stream, idx))
}

// uniform returns a float64 in [lo, hi).
func uniform(r *rand.Rand, lo, hi float64) float64 {
	return lo + (hi-lo)*r.Float64()
}

// fillNoise fills dst with independent values of mean 0 and variance 1
// (uniform on [-sqrt 3, sqrt 3]), four per 64-bit draw. Only dot products of
// whole vectors matter here, and those are near normal whatever the
// coordinates' law, so the cheap law is good enough and much faster than
// NormFloat64.
func fillNoise(p *rand.PCG, dst []float32) {
	const scale = 1.7320508075688772 / 32768
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		u := p.Uint64()
		dst[i] = (float32(int16(u)) + 0.5) * scale
		dst[i+1] = (float32(int16(u>>16)) + 0.5) * scale
		dst[i+2] = (float32(int16(u>>32)) + 0.5) * scale
		dst[i+3] = (float32(int16(u>>48)) + 0.5) * scale
	}
	if i < len(dst) {
		u := p.Uint64()
		for ; i < len(dst); i++ {
			dst[i] = (float32(int16(u)) + 0.5) * scale
			u >>= 16
		}
	}
}
