package scan

import (
	"math"

	"github.com/hardneg/hardneg/internal/kernel"
)

// Key is the sampling key of a candidate for an anchor: MurmurHash3's
// finaliser of the anchor's 32-bit seed mixed with a hash of the
// candidate's identity. Keys are what make a sample independent of scan
// order; 32 bits let the vector classifier compute eight at a time, and the
// rare tie is broken by row.
func Key(seed, id uint64) uint32 {
	return kernel.Fmix32(seed32(seed) ^ IDHash(id))
}

// IDHash is the 32-bit hash of a candidate identity that keys are made from.
func IDHash(id uint64) uint32 { return uint32(Mix(id)) }

func seed32(seed uint64) uint32 { return uint32(seed ^ seed>>32) }

// Mix is SplitMix64's finaliser.
func Mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// SimANSScore orders candidates for SimANS sampling (Zhou et al., EMNLP
// 2022), in which a candidate's weight is w = exp(−a·(s − center)²), with
// center = s⁺ + b. It is the logarithm of the exponential-race key
// E = X / w of weighted sampling without replacement (Efraimidis and
// Spirakis), where X = −ln(1 − u) is an exponential variate drawn from the
// candidate's key u: the candidates with the smallest scores are a weighted
// random sample. Like keys, scores depend on the candidate, not on the scan
// order.
func SimANSScore(key uint32, sim float32, center, a float64) float64 {
	d := float64(sim) - center
	return math.Log(keyExp(key)) + a*float64(d*d)
}

// keyExp is the exponential variate X = −ln(1 − u) of key k, with
// u = (k + 0.5) / 2^32 in (0, 1).
func keyExp(k uint32) float64 {
	u := (float64(k) + 0.5) / (1 << 32)
	return -math.Log1p(-u)
}

// simANSKeyLimit is the largest key that can still give a score at most
// limit: since a·d² >= 0, a score at most limit needs X <= exp(limit). It
// errs high by a step so that rounding never rejects a real entrant; the
// classifier's flags are checked exactly afterwards.
func simANSKeyLimit(limit float64) uint32 {
	x := math.Exp(limit)
	u := -math.Expm1(-x) // 1 − exp(−x): the largest u with −ln(1 − u) <= x
	k := math.Ceil(u*(1<<32)) + 1
	if !(k < math.MaxUint32) { // also NaN
		return math.MaxUint32
	}
	return uint32(k)
}
