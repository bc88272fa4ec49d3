package scan

// Key is the sampling key of a candidate for an anchor: a 64-bit mix of the
// anchor's seed and the candidate's identity (SplitMix64's finaliser, which
// passes BigCrush). Keys are what make a sample independent of scan order.
func Key(seed, id uint64) uint64 {
	return Mix(seed ^ idHash(id))
}

func idHash(id uint64) uint64 { return id * 0x9e3779b97f4a7c15 }

// Mix is SplitMix64's finaliser.
func Mix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
