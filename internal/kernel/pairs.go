package kernel

// DotPairs sets out[q] to the dot product of xs[q] and ys[q], for every q,
// each summed in Dots's order, so each has the bits Dots gives that pair:
//
//	for q := range xs {
//		var s float32
//		for p := range xs[q] {
//			s += float32(xs[q][p] * ys[q][p])
//		}
//		out[q] = s
//	}
//
// The pairs need have nothing in common: this is how the screen re-checks
// the scattered pairs its bound leaves in doubt. The assembly path takes
// eight pairs at a time, one per lane, so that eight chains of additions
// overlap; the pure-Go path four. Every xs[q] has the length of xs[0],
// every ys[q] at least that.
func DotPairs(xs, ys [][]float32, out []float32) {
	if len(ys) < len(xs) || len(out) < len(xs) {
		panic("kernel: bad arguments to DotPairs")
	}
	if len(xs) == 0 {
		return
	}
	k := len(xs[0])
	for q, x := range xs {
		if len(x) != k || len(ys[q]) < k {
			panic("kernel: bad arguments to DotPairs")
		}
	}
	if !useAsm || k < 8 {
		dotPairsGeneric(xs, ys, out)
		return
	}
	k8 := k / 8 * 8
	var xp, yp [8]*float32
	var o [8]float32
	for q := 0; q < len(xs); q += 8 {
		n := min(8, len(xs)-q)
		for l := range 8 {
			r := q + min(l, n-1) // a short group repeats its last pair
			xp[l], yp[l] = &xs[r][0], &ys[r][0]
		}
		dotPairs8(k/8, &xp, &yp, &o)
		for l := range n {
			// The last k mod 8 products continue each lane's sum.
			s := o[l]
			x, y := xs[q+l][k8:], ys[q+l][k8:k]
			for p := range x {
				s += float32(x[p] * y[p])
			}
			out[q+l] = s
		}
	}
}

// dotPairsGeneric is DotPairs in pure Go, four pairs at a time.
func dotPairsGeneric(xs, ys [][]float32, out []float32) {
	q := 0
	for ; q+4 <= len(xs); q += 4 {
		out[q], out[q+1], out[q+2], out[q+3] = dot4(xs[q], xs[q+1], xs[q+2], xs[q+3], ys[q], ys[q+1], ys[q+2], ys[q+3])
	}
	for ; q < len(xs); q++ {
		out[q] = dot(xs[q], ys[q])
	}
}

// dot4 is dot of four pairs at once: four independent sums, each in dot's
// order, so that their latencies overlap. All rows have x0's length.
func dot4(x0, x1, x2, x3, y0, y1, y2, y3 []float32) (s0, s1, s2, s3 float32) {
	n := len(x0)
	x1, x2, x3 = x1[:n], x2[:n], x3[:n]
	y0, y1, y2, y3 = y0[:n], y1[:n], y2[:n], y3[:n]
	for k := range x0 {
		s0 += float32(x0[k] * y0[k])
		s1 += float32(x1[k] * y1[k])
		s2 += float32(x2[k] * y2[k])
		s3 += float32(x3[k] * y3[k])
	}
	return s0, s1, s2, s3
}
