package scan

import "github.com/hardneg/hardneg/internal/kernel"

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
