package kernel

// Classify16 sorts one panel's similarities into bands. edges holds the
// bands' limits as lo[0], hi[0], lo[1], hi[1], ... For each candidate j < n
// and lane < 16, s = c[j*stride+lane] is the similarity of the panel's
// anchor lane to candidate j. For the band b with lo[b] <= s < hi[b], it
// adds one to counts[b*16+lane], and when the sampling key
// Fmix32(seeds[lane] ^ h[j]) is at most limits[b*16+lane] it sets bit lane
// of flags[j]: that candidate may enter the anchor's sample, which the
// caller then checks. flags[j] is overwritten; counts accumulate.
//
//	for j := 0; j < n; j++ {
//		flags[j] = 0
//		for lane := 0; lane < 16; lane++ {
//			s := c[j*stride+lane]
//			for b := 0; b < len(edges)/2; b++ {
//				if s >= edges[2*b] && s < edges[2*b+1] {
//					counts[b*16+lane]++
//					if Fmix32(seeds[lane]^h[j]) <= limits[b*16+lane] {
//						flags[j] |= 1 << lane
//					}
//				}
//			}
//		}
//	}
//
// Bands must not overlap. A NaN or -Inf similarity is in no band.
func Classify16(n int, c []float32, stride int, h []uint32, seeds *[16]uint32, edges []float32, counts []int32, limits []uint32, flags []uint16) {
	Classify16Windows(n, c, stride, h, seeds, edges, nil, counts, limits, flags)
}

// Classify16Windows is Classify16 that also sets bit lane of flags[j] for
// every similarity in one of the windows [win[2w], win[2w+1]), counting
// nothing for it: the screen's windows around the band edges, whose pairs
// the caller re-checks. The windows must not overlap the bands.
//
//	for j := 0; j < n; j++ {
//		// ... Classify16's loop, then:
//		for lane := 0; lane < 16; lane++ {
//			s := c[j*stride+lane]
//			for w := 0; w < len(win)/2; w++ {
//				if s >= win[2*w] && s < win[2*w+1] {
//					flags[j] |= 1 << lane
//				}
//			}
//		}
//	}
func Classify16Windows(n int, c []float32, stride int, h []uint32, seeds *[16]uint32, edges, win []float32, counts []int32, limits []uint32, flags []uint16) {
	nb := len(edges) / 2
	if n < 0 || stride < PanelRows || len(edges)%2 != 0 || len(win)%2 != 0 || len(counts) < nb*16 || len(limits) < nb*16 ||
		len(h) < n || len(flags) < n || (n > 0 && len(c) < (n-1)*stride+PanelRows) {
		panic("kernel: bad arguments to Classify16")
	}
	if n == 0 || nb == 0 && len(win) == 0 {
		clear(flags[:n])
		return
	}
	if useAsm && nb > 0 {
		classify16(n, c, stride, h, seeds, edges, win, counts, limits, flags)
		return
	}
	classify16Generic(n, c, stride, h, seeds, edges, win, counts, limits, flags)
}

func classify16Generic(n int, c []float32, stride int, h []uint32, seeds *[16]uint32, edges, win []float32, counts []int32, limits []uint32, flags []uint16) {
	nb := len(edges) / 2
	for j := 0; j < n; j++ {
		var f uint16
		row := c[j*stride : j*stride+PanelRows]
		hj := h[j]
		for lane, s := range row {
			for b := range nb {
				if s >= edges[2*b] && s < edges[2*b+1] {
					counts[b*16+lane]++
					if Fmix32(seeds[lane]^hj) <= limits[b*16+lane] {
						f |= 1 << lane
					}
					break
				}
			}
			for w := 0; w < len(win); w += 2 {
				if s >= win[w] && s < win[w+1] {
					f |= 1 << lane
					break
				}
			}
		}
		flags[j] = f
	}
}

// Fmix32 is MurmurHash3's 32-bit finaliser, a bijection with full
// avalanche: the sampling key of a candidate for an anchor.
func Fmix32(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}
