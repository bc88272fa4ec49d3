package kernel

import "math"

// The screen: an approximate similarity from int16 rows, with a rigorous
// bound on how far it can be from the float32 value Dots computes. The
// derivation of the bound and the measurements behind the choices are in
// SCREEN.md.

// ScreenChunk is the number of elements whose int16 products the screen
// sums exactly in int32 before it converts the sum to float32. Rows are
// quantised so that no chunk's sum can overflow int32; a short chunk lets
// that limit allow a finer step.
const ScreenChunk = 64

const (
	// qMax is the largest quantised magnitude. -32768 never occurs, so a
	// VPMADDWD pair sum, at most 2·32767², cannot overflow int32.
	qMax = 32767
	// chunkNorm2Max bounds Σq² over each chunk of a row: 46340² < 2³¹, so
	// by Cauchy–Schwarz every partial sum of a chunk's products between
	// two rows is less than 2³¹ in magnitude.
	chunkNorm2Max = 46340 * 46340
	// maxScreenDim is the longest row the bound is derived for.
	maxScreenDim = 1 << 20
	// screenKBlock is the length of the slices of k the assembly works on:
	// a 16 × 512 slice of a panel is 16 KiB, half of L1. It is a whole
	// number of chunks.
	screenKBlock = 8 * ScreenChunk
)

// RowBound is what the screen's bound knows about one quantised row x of
// length k, whose screen row is the integer vector q. Every field is an
// upper bound on the real-number quantity it names, rounded up to float32.
type RowBound struct {
	// Step is the row's quantisation step r: x is approximated by r·q.
	// It is exact, not a bound.
	Step float32
	// Norm ≥ ‖x‖.
	Norm float32
	// QNorm ≥ ‖r·q‖.
	QNorm float32
	// Err ≥ ‖x − r·q‖; +Inf for a row the screen cannot bound (see
	// ScreenRows.Set), which makes every bound involving it +Inf.
	Err float32
	// Prefix ≥ sqrt(Σ_{j=1..k} ‖x[:j]‖²), the prefix mass that bounds the
	// rounding of Dots's running sum.
	Prefix float32
}

// ScreenRows holds rows quantised for the screen: each row's int16 values,
// padded with a zero to an even length, and its RowBound.
type ScreenRows struct {
	n, k, ld int
	q        []int16
	step     []float32 // the rows' steps, contiguous for the kernel
	bound    []RowBound
}

// NewScreenRows returns room for n rows of length k, all zero until Set.
func NewScreenRows(n, k int) *ScreenRows {
	if n < 0 || k < 0 {
		panic("kernel: bad size for NewScreenRows")
	}
	ld := k + k%2
	return &ScreenRows{n: n, k: k, ld: ld, q: make([]int16, n*ld), step: make([]float32, n), bound: make([]RowBound, n)}
}

// Len is the number of rows.
func (r *ScreenRows) Len() int { return r.n }

// Dim is the length of each row.
func (r *ScreenRows) Dim() int { return r.k }

// Row returns row i's quantised values (k of them, then the padding) and
// its bound data. The slice aliases the rows' storage.
func (r *ScreenRows) Row(i int) ([]int16, RowBound) {
	return r.q[i*r.ld : (i+1)*r.ld], r.bound[i]
}

// Set quantises x[:Dim()] into row i. It is deterministic: the same x
// gives the same row on every machine. Calls for distinct i may run
// concurrently.
//
// The step r is chosen per row, as fine as the int32 sums allow: every
// |q[p]| ≤ 32767 and every chunk of ScreenChunk elements has Σq² ≤ 46340²,
// and q[p] is x[p]/r rounded to the nearest integer. A row with a NaN or
// infinite element, a norm outside [2⁻²⁴, 2²⁴] other than 0, or a length
// over 2²⁰ is stored as zeros with Err = +Inf: the screen cannot bound its
// similarities, so every pair with it must be checked exactly.
func (r *ScreenRows) Set(i int, x []float32) {
	if i < 0 || i >= r.n || len(x) < r.k {
		panic("kernel: bad arguments to ScreenRows.Set")
	}
	q := r.q[i*r.ld : (i+1)*r.ld]
	b := quantiseRow(q, x[:r.k])
	r.step[i] = b.Step
	r.bound[i] = b
}

// quantiseRow fills q (len(x) rounded up to even) and returns the row's
// bound data; see ScreenRows.Set.
//
// Its float64 sums of nonnegative terms run in four interleaved lanes per
// chunk (statsPass, quantPass: assembly with pure-Go twins), and the
// chunks' lanes are added up; the bound (SCREEN.md, section 2) holds for a
// sum in any order.
func quantiseRow(q []int16, x []float32) RowBound {
	k := len(x)
	clear(q[k:])
	unbounded := RowBound{Err: float32(math.Inf(1))}
	if k > maxScreenDim {
		clear(q)
		return unbounded
	}
	// Σx², Σ(k−p)·x² (the prefix mass: x[p] is in k−p prefixes), the
	// largest chunk's Σx² and the largest |x|, taken on the float32 bits
	// without the sign: they order finite magnitudes, and a NaN or an
	// infinity comes out at or above the bits of +Inf. Squares of float32
	// values are exact in float64, and so are the weights.
	var n2, c2max float64
	var pl [4]float64
	var abits uint32
	for c0 := 0; c0 < k; c0 += ScreenChunk {
		xs := x[c0:min(c0+ScreenChunk, k)]
		// The chunk's four lanes of squares, its own four of weighted
		// squares (added into the row's), then the tail into lane 0.
		var part [8]float64
		n4 := len(xs) &^ 3
		if n4 > 0 {
			abits = max(abits, statsPass(xs[:n4], float64(k-c0), &part))
		}
		cl := [4]float64(part[:4])
		for l := range 4 {
			pl[l] += part[4+l]
		}
		for p := n4; p < len(xs); p++ {
			f := float64(xs[p])
			sq := float64(f * f)
			cl[0] += sq
			pl[0] += float64(float64(k-c0-p) * sq)
			abits = max(abits, math.Float32bits(xs[p])&^(1<<31))
		}
		c2 := (cl[0] + cl[1]) + (cl[2] + cl[3])
		n2 += c2
		c2max = max(c2max, c2)
	}
	if abits >= 0x7f800000 { // a NaN or an infinity
		clear(q)
		return unbounded
	}
	amax := float64(math.Float32frombits(abits))
	prefix := (pl[0] + pl[1]) + (pl[2] + pl[3])
	if n2 == 0 {
		clear(q)
		return RowBound{}
	}
	if n2 < 0x1p-48 || n2 > 0x1p48 {
		clear(q)
		return unbounded
	}
	// The step: rounding grows a chunk's norm by at most sqrt(64)/2 = 4
	// steps, so aim 5 below the limit; the loop below enforces the limits
	// exactly, whatever the float64 arithmetic here did.
	step := roundUp32(max(math.Sqrt(c2max)/(46340-5), amax/qMax))
	e2, q2, ok := quantiseWith(q, x, step)
	for !ok {
		step = roundUp32(float64(step) * (1 + 0x1p-16))
		e2, q2, ok = quantiseWith(q, x, step)
	}
	r := float64(step)
	return RowBound{
		Step:   step,
		Norm:   sqrtUp(n2),
		QNorm:  sqrtUp(float64(q2) * r * r),
		Err:    sqrtUp(e2),
		Prefix: sqrtUp(prefix),
	}
}

// roundMagic is 1.5·2⁵²: for |v| < 2⁵¹, (v + roundMagic) − roundMagic is v
// rounded to the nearest integer, ties to even, in float64 arithmetic.
const roundMagic = 0x1.8p52

// quantiseWith sets q[p] to x[p]/step rounded to the nearest integer (the
// division done as a float64 multiplication by 1/step: the bound uses the
// q it gets, so q need only be near) and reports whether the result keeps
// the int32 limits: every |q| ≤ qMax and every chunk's Σq² ≤ chunkNorm2Max.
// It also returns ‖x − r·q‖² for r = step, summed in four lanes, and
// Σq²: q[p]·r has at most 15+24 bits and lies within r/2 of x[p] (or is
// 0), so each difference is exact in float64, and so is its square.
// The caller has checked that every x[p] is finite and step ≥ max|x|/qMax
// (rounded up), so |x[p]/step| stays far below 2⁵¹.
func quantiseWith(q []int16, x []float32, step float32) (e2 float64, q2 int64, ok bool) {
	inv, r := 1/float64(step), float64(step)
	var el [4]float64
	for c0 := 0; c0 < len(x); c0 += ScreenChunk {
		xs := x[c0:min(c0+ScreenChunk, len(x))]
		n4 := len(xs) &^ 3
		var c2 float64 // Σq² of the chunk: integers below 2⁵³, exact
		if n4 > 0 {
			var part [4]float64
			if c2 = quantPass(xs[:n4], q[c0:c0+n4], inv, r, &part); c2 < 0 {
				return 0, 0, false
			}
			for l := range 4 {
				el[l] += part[l]
			}
		}
		for p := n4; p < len(xs); p++ {
			f := float64(xs[p])
			v := float64(f*inv) + roundMagic - roundMagic
			if math.Abs(v) > qMax {
				return 0, 0, false
			}
			q[c0+p] = int16(v)
			c2 += float64(v * v)
			d := f - float64(v*r)
			el[0] += float64(d * d)
		}
		if c2 > chunkNorm2Max {
			return 0, 0, false
		}
		q2 += int64(c2)
	}
	return (el[0] + el[1]) + (el[2] + el[3]), q2, true
}

// statsPass is the quantiser's first pass over a piece of a chunk whose
// length is a multiple of 4: for each lane l < 4, over the elements
// x[4i+l] in increasing i, out[l] sums x² and out[4+l] sums
// (w0 − 4i − l)·x² (w0 is the weight of x[0]: the number of prefixes it
// is in), from zero. It returns the float32 bits of the largest |x|. The
// assembly computes the same bits.
func statsPass(x []float32, w0 float64, out *[8]float64) uint32 {
	if useAsm {
		return chunkStats(x, w0, out)
	}
	*out = [8]float64{}
	var abits uint32
	for i := 0; i+4 <= len(x); i += 4 {
		w := w0 - float64(i)
		for l := range 4 {
			f := float64(x[i+l])
			sq := float64(f * f)
			out[l] += sq
			// No fused multiply-add: the same bits everywhere.
			out[4+l] += float64((w - float64(l)) * sq)
			abits = max(abits, math.Float32bits(x[i+l])&^(1<<31))
		}
	}
	return abits
}

// quantPass is the quantiser's second pass over a piece of a chunk whose
// length is a multiple of 4: q = round(x·inv), and e[l] sums (x − q·r)²
// over the elements x[4i+l] in increasing i, from zero. It returns Σq²,
// or −1 if some |q| > qMax (q and e are then left part-done). The
// assembly computes the same bits.
func quantPass(x []float32, q []int16, inv, r float64, e *[4]float64) float64 {
	if useAsm {
		return quantChunk(x, q, inv, r, e)
	}
	*e = [4]float64{}
	var c2 float64
	for i := 0; i+4 <= len(x); i += 4 {
		for l := range 4 {
			f := float64(x[i+l])
			v := float64(f*inv) + roundMagic - roundMagic
			if math.Abs(v) > qMax {
				return -1
			}
			q[i+l] = int16(v)
			c2 += float64(v * v)
			d := f - float64(v*r)
			e[l] += float64(d * d)
		}
	}
	return c2
}

// sqrtUp returns a float32 at least sqrt(s) for a float64 sum s of up to
// 2²⁰ nonnegative terms, each exact or rounded once: such a sum is at most
// 2⁻³² below the exact one, relatively, and the factor 1 + 2⁻³⁰ covers
// that, the rounding of the product and of the square root.
func sqrtUp(s float64) float32 {
	return roundUp32(math.Sqrt(s * (1 + 0x1p-30)))
}

// roundUp32 returns the least float32 at or above v.
func roundUp32(v float64) float32 {
	f := float32(v)
	if float64(f) < v {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

// gamma is Higham's γ_n = n·u/(1 − n·u) for float32, u = 2⁻²⁴.
func gamma(n int) float64 {
	nu := float64(n) * 0x1p-24
	return nu / (1 - nu)
}

// ScreenBound returns ε such that |s − s̃| ≤ ε, where s is the float32
// similarity Dots computes for two rows x and y of length k and s̃ is what
// Screen computes for their quantised rows, whose bound data are a and b.
// It holds for any rows ScreenRows.Set accepts; SCREEN.md derives it:
//
//	quantisation:  min(a.Err·b.Norm + a.QNorm·b.Err, a.Norm·b.Err + a.Err·b.QNorm)
//	screen:        γ(⌈k/64⌉+2) · a.QNorm·b.QNorm
//	Dots rounding: u·(1+γ(k)) · (a.Norm·b.Norm + a.Prefix·b.Prefix) + k·2⁻¹⁴⁹
//
// with u = 2⁻²⁴ and γ(n) = n·u/(1−n·u); the sum is evaluated in float64,
// raised by 2⁻⁴⁰ relatively for that evaluation's rounding, and rounded up
// to float32. For unit rows at k = 1024 it is about 1.5e-4.
//
// It never decreases when a field of a or b (other than Step, which it does
// not use) grows, so the bound of the field-wise maxima over a set of rows
// bounds every pair among them.
func ScreenBound(a, b RowBound, k int) float32 {
	if math.IsInf(float64(a.Err), 0) || math.IsInf(float64(b.Err), 0) || k > maxScreenDim {
		return float32(math.Inf(1))
	}
	an, aq, ae, ap := float64(a.Norm), float64(a.QNorm), float64(a.Err), float64(a.Prefix)
	bn, bq, be, bp := float64(b.Norm), float64(b.QNorm), float64(b.Err), float64(b.Prefix)
	quant := min(ae*bn+aq*be, an*be+ae*bq)
	nc := (k + ScreenChunk - 1) / ScreenChunk
	screen := gamma(nc+2) * aq * bq
	// Products of two float32 values are exact in float64, so a fused
	// multiply-add could change only the conversion marked below; it is
	// explicit so that the bound has the same bits on every machine.
	dots := float64(0x1p-24*(1+gamma(k))*(an*bn+ap*bp)) + float64(k)*0x1p-149
	return roundUp32((quant + screen + dots) * (1 + 0x1p-40))
}

// ScreenWindow returns the window around a threshold t outside which the
// screen decides a comparison with t: for a pair with screened similarity
// s̃ and bound ε (ScreenBound),
//
//	s̃ < lo  means  s < t
//	s̃ ≥ hi  means  s ≥ t
//
// and lo ≤ s̃ < hi means the pair must be checked exactly. lo is at most
// t − ε and hi at least t + ε in real arithmetic, so float32 comparisons
// with them are safe; an infinite ε gives an infinite window.
func ScreenWindow(t, eps float32) (lo, hi float32) {
	lo = math.Nextafter32(float32(float64(t)-float64(eps)), float32(math.Inf(-1)))
	hi = math.Nextafter32(float32(float64(t)+float64(eps)), float32(math.Inf(1)))
	return lo, hi
}

// ScreenBlock holds a block of quantised anchor rows, laid out for the
// kernel in use, so that quantised candidate rows can stream past it.
type ScreenBlock struct {
	m, k, ld int
	rows     []int16   // m × ld, row-major: the pure-Go path
	steps    []float32 // per anchor; padded to whole panels
	panels   []int16   // ⌈m/16⌉ panels, each ld/2 pairs × 16 anchors × 2: the assembly path
}

// Load copies the anchors src's rows[0], rows[1], ... into the block. It
// reuses the block's memory when it can.
func (b *ScreenBlock) Load(src *ScreenRows, rows []int) {
	for _, i := range rows {
		if i < 0 || i >= src.n {
			panic("kernel: row out of range in ScreenBlock.Load")
		}
	}
	b.m, b.k, b.ld = len(rows), src.k, src.ld
	np := (b.m + PanelRows - 1) / PanelRows
	b.steps = growF(b.steps, np*PanelRows)
	clear(b.steps)
	for a, i := range rows {
		b.steps[a] = src.step[i]
	}
	if !useAsm {
		b.rows = growI(b.rows, b.m*b.ld)
		for a, i := range rows {
			copy(b.rows[a*b.ld:(a+1)*b.ld], src.q[i*src.ld:(i+1)*src.ld])
		}
		return
	}
	// Panel layout: for each pair of elements (2p, 2p+1), the 16 anchors'
	// two values side by side, so that VPMADDWD against a broadcast pair
	// of the candidate gives each anchor's two products summed.
	b.panels = growI(b.panels, np*PanelRows*b.ld)
	clear(b.panels)
	for a, i := range rows {
		p, lane := a/PanelRows, a%PanelRows
		panel := b.panels[p*PanelRows*b.ld : (p+1)*PanelRows*b.ld]
		row := src.q[i*src.ld : (i+1)*src.ld]
		for e := 0; e < b.ld; e += 2 {
			panel[e*PanelRows+2*lane] = row[e]
			panel[e*PanelRows+2*lane+1] = row[e+1]
		}
	}
}

// Rows is the number of anchors loaded.
func (b *ScreenBlock) Rows() int { return b.m }

// Stride is the distance between candidates in the output of Screen: the
// number of anchors rounded up to a whole panel, as for Block.
func (b *ScreenBlock) Stride() int { return (b.m + PanelRows - 1) / PanelRows * PanelRows }

// Screen sets c[j*Stride()+i] to the screened similarity s̃ of anchor i
// and candidate first+j of cand, for i < Rows() and j < n. With qa, ra the
// anchor's values and step and qb, rb the candidate's (ScreenRows.Row):
//
//	for j := 0; j < n; j++ {
//		for i := 0; i < b.Rows(); i++ {
//			var f float32
//			for c0 := 0; c0 < k; c0 += ScreenChunk {
//				var p int32
//				for e := c0; e < min(c0+ScreenChunk, k); e++ {
//					p += int32(qa[e]) * int32(qb[e])
//				}
//				f += float32(p)
//			}
//			c[j*b.Stride()+i] = float32(f*ra) * rb
//		}
//	}
//
// Every path computes exactly that, so every path gives the same bits, and
// |s − s̃| ≤ ScreenBound for the exact similarity s that Dots gives the
// rows the two were quantised from. c must hold n·Stride() values; entries
// for i in [Rows(), Stride()) are left unspecified.
func (b *ScreenBlock) Screen(cand *ScreenRows, first, n int, c []float32) {
	stride := b.Stride()
	if n < 0 || first < 0 || first+n > cand.n || cand.k != b.k || len(c) < n*stride {
		panic("kernel: bad arguments to Screen")
	}
	if n == 0 || b.m == 0 {
		return
	}
	q := cand.q[first*cand.ld : (first+n)*cand.ld]
	steps := cand.step[first : first+n]
	if !useAsm {
		screenTileGeneric(b.m, n, b.k, b.rows, b.ld, b.steps, q, steps, c, stride)
		return
	}
	ld := b.ld
	n6 := n / 6 * 6
	for p := 0; p*PanelRows < b.m; p++ {
		panel := b.panels[p*PanelRows*ld : (p+1)*PanelRows*ld]
		sa := b.steps[p*PanelRows : (p+1)*PanelRows]
		if ld > 0 {
			// k is done in blocks so that the slice of the panel in use
			// stays in L1; the kernel adds each chunk's sum into c, so
			// the blocks continue one sum.
			for k0 := 0; k0 < ld; k0 += screenKBlock {
				kc := min(screenKBlock, ld-k0)
				last := k0+kc == ld
				for j := 0; j < n6; j += 6 {
					screen16x6(kc, panel[k0*PanelRows:], q[j*ld+k0:], ld, c[j*stride+p*PanelRows:], stride, k0 == 0, last, sa, steps[j:j+6])
				}
			}
		} else {
			for j := 0; j < n6; j++ {
				clear(c[j*stride+p*PanelRows : j*stride+p*PanelRows+PanelRows])
			}
		}
		// The last few candidates: the same sums in pure Go.
		if n6 < n {
			mp := min(PanelRows, b.m-p*PanelRows)
			screenPanelGeneric(mp, n-n6, b.k, panel, sa, q[n6*ld:], ld, steps[n6:], c[n6*stride+p*PanelRows:], stride)
		}
	}
}

func growF(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func growI(s []int16, n int) []int16 {
	if cap(s) < n {
		return make([]int16, n)
	}
	return s[:n]
}
