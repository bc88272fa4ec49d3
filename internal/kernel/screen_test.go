package kernel

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// rowKinds are the shapes of rows the bound is tested on. Each fills x
// (len(x) = k) from r; partner is a row that some kinds stay close to.
var rowKinds = []struct {
	name string
	fill func(r *rand.Rand, x, partner []float32)
}{
	{"gauss", func(r *rand.Rand, x, _ []float32) { fillGauss(r, x); unit(x) }},
	{"one-hot", func(r *rand.Rand, x, _ []float32) {
		clear(x)
		x[r.IntN(len(x))] = float32(1 - 2*r.IntN(2))
	}},
	{"parallel", func(r *rand.Rand, x, y []float32) { nearly(r, x, y, 1) }},
	{"opposite", func(r *rand.Rand, x, y []float32) { nearly(r, x, y, -1) }},
	{"constant", func(r *rand.Rand, x, _ []float32) {
		v := float32(1 / math.Sqrt(float64(len(x))))
		for i := range x {
			x[i] = v
		}
	}},
	{"spike", func(r *rand.Rand, x, _ []float32) {
		// One large element and tiny ones: the int16 limit binds, and
		// products underflow in Dots.
		for i := range x {
			x[i] = float32(r.NormFloat64() * math.Ldexp(1, -20-r.IntN(110)))
		}
		x[r.IntN(len(x))] = 1
		unit(x)
	}},
	{"scales", func(r *rand.Rand, x, _ []float32) {
		// Elements over many binades, some subnormal.
		for i := range x {
			x[i] = float32(r.NormFloat64() * math.Ldexp(1, -r.IntN(150)))
		}
		unit(x)
	}},
	{"sparse", func(r *rand.Rand, x, _ []float32) {
		clear(x)
		for range 1 + r.IntN(4) {
			x[r.IntN(len(x))] = float32(r.NormFloat64())
		}
		unit(x)
	}},
	{"front", func(r *rand.Rand, x, _ []float32) {
		// The mass in the first chunk: the chunk limit binds, and Dots's
		// running sum carries it all the way.
		clear(x)
		fillGauss(r, x[:min(len(x), 1+r.IntN(ScreenChunk))])
		unit(x)
	}},
	{"ties", func(r *rand.Rand, x, _ []float32) {
		// Values on a coarse grid: many land on rounding ties.
		for i := range x {
			x[i] = float32(r.IntN(9)-4) / 8
		}
		unit(x)
	}},
	{"unscaled", func(r *rand.Rand, x, _ []float32) {
		// Not unit length: the bound must not assume it.
		fillGauss(r, x)
		s := float32(math.Ldexp(1, r.IntN(40)-20))
		for i := range x {
			x[i] *= s
		}
	}},
}

func fillGauss(r *rand.Rand, x []float32) {
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
}

// unit scales x to unit length in float64 and rounds back: the norm is 1
// within float32 rounding, as the scan's rows are.
func unit(x []float32) {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	if s == 0 {
		x[0] = 1
		return
	}
	f := 1 / math.Sqrt(s)
	for i, v := range x {
		x[i] = float32(float64(v) * f)
	}
}

// nearly sets x to sign·y plus a little noise, as a unit row.
func nearly(r *rand.Rand, x, y []float32, sign float32) {
	noise := math.Ldexp(1, -4-r.IntN(24)) / math.Sqrt(float64(len(x)))
	for i := range x {
		x[i] = sign*y[i] + float32(r.NormFloat64()*noise)
	}
	unit(x)
}

// makeRows returns n rows of length k of the given kinds (kind < 0: each
// row a random kind), the first of them a Gaussian partner for the kinds
// that follow one.
func makeRows(r *rand.Rand, n, k, kind int) [][]float32 {
	rows := make([][]float32, n)
	partner := make([]float32, k)
	fillGauss(r, partner)
	if k > 0 {
		unit(partner)
	}
	for i := range rows {
		rows[i] = make([]float32, k)
		if k == 0 {
			continue
		}
		kd := kind
		if kd < 0 {
			kd = r.IntN(len(rowKinds))
		}
		rowKinds[kd].fill(r, rows[i], partner)
	}
	return rows
}

func quantiseAll(rows [][]float32, k int) *ScreenRows {
	q := NewScreenRows(len(rows), k)
	for i, x := range rows {
		q.Set(i, x)
	}
	return q
}

// screenReference is the loop from Screen's documentation, written out.
func screenReference(a *ScreenRows, rows []int, b *ScreenRows, first, n, stride int, c []float32) {
	k := a.Dim()
	for j := 0; j < n; j++ {
		qb, bb := b.Row(first + j)
		for i, ai := range rows {
			qa, ba := a.Row(ai)
			var f float32
			for c0 := 0; c0 < k; c0 += ScreenChunk {
				var p int32
				for e := c0; e < min(c0+ScreenChunk, k); e++ {
					p += int32(qa[e]) * int32(qb[e])
				}
				f += float32(p)
			}
			c[j*stride+i] = float32(f*ba.Step) * bb.Step
		}
	}
}

// checkScreen runs Screen on the current path and compares every output
// bit with the reference, and checks that nothing outside the outputs
// changed.
func checkScreen(t *testing.T, r *rand.Rand, m, n, k, first int) {
	t.Helper()
	anchors := quantiseAll(makeRows(r, m+3, k, -1), k)
	cand := quantiseAll(makeRows(r, first+n+2, k, -1), k)
	rows := r.Perm(m + 3)[:m] // anchors in any order, not all of them
	var b ScreenBlock
	b.Load(anchors, rows)
	stride := b.Stride()
	want := make([]float32, n*stride+8)
	got := make([]float32, n*stride+8)
	for i := range got {
		got[i], want[i] = guard, guard
	}
	screenReference(anchors, rows, cand, first, n, stride, want)
	b.Screen(cand, first, n, got)
	for j := 0; j < n; j++ {
		for i := 0; i < m; i++ {
			idx := j*stride + i
			if math.Float32bits(got[idx]) != math.Float32bits(want[idx]) {
				t.Fatalf("m=%d n=%d k=%d: c[%d][%d] = %v, want %v", m, n, k, j, i, got[idx], want[idx])
			}
		}
	}
	for idx := n * stride; idx < len(got); idx++ {
		if got[idx] != guard {
			t.Fatalf("m=%d n=%d k=%d: wrote past the output at %d", m, n, k, idx)
		}
	}
}

// TestScreenMatchesReference covers odd shapes: partial panels, candidate
// counts that are not multiples of 6, odd k, partial chunks, several k
// blocks, unrolled-loop tails and candidates that start mid-matrix.
func TestScreenMatchesReference(t *testing.T) {
	bothPaths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		for _, tc := range []struct{ m, n, k, first int }{
			{1, 1, 1, 0}, {16, 6, 2, 0}, {16, 6, 8, 1}, {3, 5, 7, 2}, {17, 13, 33, 0},
			{32, 12, 64, 0}, {16, 6, 65, 3}, {5, 9, 1024, 1}, {40, 50, 3, 0}, {0, 3, 4, 0},
			{3, 0, 4, 0}, {16, 7, 0, 0}, {64, 48, 129, 5}, {20, 12, 513, 0}, {16, 6, 1030, 0},
			{33, 19, 384, 2}, {16, 12, 768, 0},
		} {
			checkScreen(t, r, tc.m, tc.n, tc.k, tc.first)
		}
	})
}

// TestScreenPathsAgree runs both paths on the same rows and compares bits.
func TestScreenPathsAgree(t *testing.T) {
	if !asmSupported() {
		t.Skip("no assembly kernel on this CPU or build")
	}
	r := rand.New(rand.NewPCG(9, 10))
	for range 20 {
		compareScreen(t, r, 1+r.IntN(70), 1+r.IntN(40), 1+r.IntN(1100), -1)
	}
}

// compareScreen screens m anchors against n candidates on both paths and
// returns the rows, their quantisation and the screened similarities.
func compareScreen(t testing.TB, r *rand.Rand, m, n, k, kind int) (rows [][]float32, q *ScreenRows, c []float32) {
	rows = makeRows(r, m+n, k, kind)
	q = quantiseAll(rows, k)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	var outs [2][]float32
	for path, generic := range []bool{false, true} {
		ForceGeneric(generic)
		var b ScreenBlock
		b.Load(q, idx)
		outs[path] = make([]float32, n*b.Stride())
		b.Screen(q, m, n, outs[path])
	}
	ForceGeneric(false)
	sameTileBits(t, outs, m, n, k)
	return rows, q, outs[0]
}

// checkBound checks |s − s̃| ≤ ε for every anchor–candidate pair of
// compareScreen's output, with s from Block.Dots.
func checkBound(t testing.TB, rows [][]float32, q *ScreenRows, c []float32, m, n, k int) {
	var b Block
	b.Load(rows[:m], k)
	stride := b.Stride()
	cand := make([]float32, 0, n*k)
	for _, x := range rows[m:] {
		cand = append(cand, x...)
	}
	exact := make([]float32, n*stride)
	b.Dots(cand, k, n, exact)
	for j := 0; j < n; j++ {
		_, bb := q.Row(m + j)
		for i := 0; i < m; i++ {
			_, ba := q.Row(i)
			eps := ScreenBound(ba, bb, k)
			s, st := exact[j*stride+i], c[j*stride+i]
			if math.Abs(float64(s)-float64(st)) > float64(eps) {
				t.Fatalf("k=%d pair (%d, %d): |s − s̃| = |%v − %v| = %g > ε = %g\nanchor %v\ncandidate %v",
					k, i, j, s, st, math.Abs(float64(s)-float64(st)), eps, rows[i], rows[m+j])
			}
			if eps != eps || eps < 0 {
				t.Fatalf("k=%d pair (%d, %d): ε = %v", k, i, j, eps)
			}
			// The window around s must agree with s itself.
			lo, hi := ScreenWindow(s, eps)
			if st < lo || st >= hi {
				t.Fatalf("k=%d pair (%d, %d): s̃ = %v outside [%v, %v), the window of s = %v ± %g", k, i, j, st, lo, hi, s, eps)
			}
		}
	}
}

// TestScreenBound checks the bound on every kind of row at the sizes the
// scan sees and at awkward ones.
func TestScreenBound(t *testing.T) {
	bothPaths(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(11, 12))
		for kind := range rowKinds {
			for _, k := range []int{1, 2, 3, 63, 64, 65, 384, 768, 1024} {
				rows, q, c := compareScreen(t, r, 17, 13, k, kind)
				checkBound(t, rows, q, c, 17, 13, k)
			}
		}
		for _, k := range []int{5, 100, 1024} {
			rows, q, c := compareScreen(t, r, 20, 20, k, -1)
			checkBound(t, rows, q, c, 20, 20, k)
		}
	})
}

// FuzzScreenBound screens random and adversarial rows, D from 1 to 1024,
// and checks that assembly and pure Go agree and that |s − s̃| ≤ ε for
// every pair, s from Dots.
func FuzzScreenBound(f *testing.F) {
	f.Add(uint64(1), uint8(0), uint16(1024), uint8(5), uint8(7))
	f.Add(uint64(2), uint8(1), uint16(1), uint8(1), uint8(1))
	f.Add(uint64(3), uint8(2), uint16(768), uint8(16), uint8(6))
	f.Add(uint64(4), uint8(3), uint16(384), uint8(3), uint8(13))
	f.Add(uint64(5), uint8(5), uint16(65), uint8(17), uint8(12))
	f.Add(uint64(6), uint8(6), uint16(1000), uint8(2), uint8(2))
	f.Add(uint64(7), uint8(255), uint16(129), uint8(9), uint8(9))
	f.Fuzz(func(t *testing.T, seed uint64, kind uint8, k uint16, m, n uint8) {
		if k == 0 || k > 1024 || m == 0 || n == 0 {
			return
		}
		kd := int(kind) % (len(rowKinds) + 1)
		if kd == len(rowKinds) {
			kd = -1 // a mix
		}
		mm, nn := int(m%20)+1, int(n%20)+1
		rows, q, c := compareScreen(t, rand.New(rand.NewPCG(seed, uint64(kind))), mm, nn, int(k), kd)
		checkBound(t, rows, q, c, mm, nn, int(k))
	})
}

// TestRowBoundExact checks each RowBound field against the quantity it
// bounds, computed exactly with big.Float, and each part of the pair bound
// against exact dot products. With -v it logs, per kind of row, the largest
// share of each part (and of the whole ε) that the errors used: SCREEN.md
// quotes them.
func TestRowBoundExact(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for kind := range rowKinds {
		var worst [4]float64
		for _, k := range []int{1, 7, 64, 130, 384, 1024} {
			for range 4 {
				rows := makeRows(r, 2, k, kind)
				q := quantiseAll(rows, k)
				for i, x := range rows {
					qi, b := q.Row(i)
					checkRowBound(t, x, qi, b)
				}
				used := checkParts(t, rows[0], rows[1], q, k)
				for i := range worst {
					worst[i] = max(worst[i], used[i])
				}
			}
		}
		t.Logf("%-9s largest share used: Dots rounding %.2f, screen rounding %.2f, quantisation %.2f, ε %.2f",
			rowKinds[kind].name, worst[0], worst[1], worst[2], worst[3])
	}
}

const bigPrec = 1200 // enough for exact sums of float32 products and squares

func bigf(v float64) *big.Float { return new(big.Float).SetPrec(bigPrec).SetFloat64(v) }

// bigDot is Σ x[p]·y[p], exactly.
func bigDot(x, y []float64) *big.Float {
	s := bigf(0)
	for p := range x {
		s.Add(s, new(big.Float).SetPrec(bigPrec).Mul(bigf(x[p]), bigf(y[p])))
	}
	return s
}

// atMost reports whether v ≤ bound², for v ≥ 0.
func atMost(v *big.Float, bound float32) bool {
	b := bigf(float64(bound))
	return v.Cmp(b.Mul(b, b)) <= 0
}

func checkRowBound(t *testing.T, x []float32, q []int16, b RowBound) {
	t.Helper()
	k := len(x)
	xs, d, dq := make([]float64, k), make([]float64, k), make([]float64, k)
	rr := bigf(float64(b.Step))
	prefix, acc := bigf(0), bigf(0)
	for p, v := range x {
		xs[p] = float64(v)
		qr := new(big.Float).SetPrec(bigPrec).Mul(bigf(float64(q[p])), rr)
		dq[p], _ = qr.Float64() // exact: 15 + 24 bits
		diff := new(big.Float).SetPrec(bigPrec).Sub(bigf(xs[p]), qr)
		d[p], _ = diff.Float64() // exact, see quantiseRow
		acc.Add(acc, new(big.Float).SetPrec(bigPrec).Mul(bigf(xs[p]), bigf(xs[p])))
		prefix.Add(prefix, acc)
	}
	for _, c := range []struct {
		name  string
		v     *big.Float
		bound float32
	}{
		{"Norm", bigDot(xs, xs), b.Norm}, {"QNorm", bigDot(dq, dq), b.QNorm},
		{"Err", bigDot(d, d), b.Err}, {"Prefix", prefix, b.Prefix},
	} {
		if !atMost(c.v, c.bound) {
			t.Fatalf("k=%d: %s = %g is below the exact value %s (row %v)", k, c.name, c.bound, c.v.Text('g', 10), x)
		}
	}
	var c2 int64
	for p, v := range q[:k] {
		if v < -qMax || v > qMax {
			t.Fatalf("q[%d] = %d", p, v)
		}
		c2 += int64(v) * int64(v)
		if (p+1)%ScreenChunk == 0 || p == k-1 {
			if c2 > chunkNorm2Max {
				t.Fatalf("chunk ending at %d has Σq² = %d", p, c2)
			}
			c2 = 0
		}
	}
	for _, v := range q[k:] {
		if v != 0 {
			t.Fatalf("padding %d", v)
		}
	}
}

// checkParts checks the three parts of ScreenBound separately, against
// exact real-number dot products: Dots's rounding, the screen's rounding,
// and the quantisation. It returns the share of each part, and of ε, that
// the pair's errors use.
func checkParts(t *testing.T, x, y []float32, q *ScreenRows, k int) (used [4]float64) {
	t.Helper()
	qx, bx := q.Row(0)
	qy, by := q.Row(1)
	xs, ys, xh, yh := make([]float64, k), make([]float64, k), make([]float64, k), make([]float64, k)
	for p := range k {
		xs[p], ys[p] = float64(x[p]), float64(y[p])
		xh[p] = float64(qx[p]) * float64(bx.Step)
		yh[p] = float64(qy[p]) * float64(by.Step)
	}
	exact := bigDot(xs, ys)
	u := 0x1p-24
	var blk Block
	blk.Load([][]float32{x}, k)
	s := make([]float32, blk.Stride())
	blk.Dots(y, k, 1, s)
	dotsPart := u*(1+gamma(k))*(float64(bx.Norm)*float64(by.Norm)+float64(bx.Prefix)*float64(by.Prefix)) + float64(k)*0x1p-149
	e := absDiff(bigf(float64(s[0])), exact)
	if e > dotsPart {
		t.Fatalf("k=%d: Dots is off by %g, more than its part %g", k, e, dotsPart)
	}
	used[0] = e / dotsPart
	var sb ScreenBlock
	sb.Load(q, []int{0})
	st := make([]float32, sb.Stride())
	sb.Screen(q, 1, 1, st)
	hat := bigDot(xh, yh)
	nc := (k + ScreenChunk - 1) / ScreenChunk
	screenPart := gamma(nc+2) * float64(bx.QNorm) * float64(by.QNorm)
	if e = absDiff(bigf(float64(st[0])), hat); e > screenPart {
		t.Fatalf("k=%d: the screen is off from x̂·ŷ by %g, more than its part %g", k, e, screenPart)
	}
	used[1] = e / screenPart
	quantPart := min(float64(bx.Err)*float64(by.Norm)+float64(bx.QNorm)*float64(by.Err),
		float64(bx.Norm)*float64(by.Err)+float64(bx.Err)*float64(by.QNorm))
	if e = absDiff(exact, hat); e > quantPart {
		t.Fatalf("k=%d: x·y − x̂·ŷ = %g, more than its part %g", k, e, quantPart)
	}
	used[2] = e / quantPart
	used[3] = math.Abs(float64(s[0])-float64(st[0])) / float64(ScreenBound(bx, by, k))
	return used
}

func absDiff(a, b *big.Float) float64 {
	d := new(big.Float).SetPrec(bigPrec).Sub(a, b)
	f, _ := d.Abs(d).Float64()
	return f
}

// TestQuantiseDeterministic: the same row gives the same bits, and rows
// the bound cannot cover are marked so.
func TestQuantiseDeterministic(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	rows := makeRows(r, 50, 300, -1)
	a, b := quantiseAll(rows, 300), quantiseAll(rows, 300)
	if !slices.Equal(a.q, b.q) || !slices.Equal(a.bound, b.bound) || !slices.Equal(a.step, b.step) {
		t.Fatal("quantising the same rows twice differs")
	}
	for _, tc := range []struct {
		name      string
		x         []float32
		unbounded bool
	}{
		{"zero", []float32{0, 0, 0}, false},
		{"nan", []float32{1, float32(math.NaN()), 0}, true},
		{"inf", []float32{float32(math.Inf(-1)), 0, 0}, true},
		{"huge", []float32{1e30, 0, 0}, true},
		{"tiny", []float32{1e-30, 0, 0}, true},
		{"largest allowed", []float32{0x1p24, 0, 0}, false},
		{"smallest allowed", []float32{0x1p-24, 0, 0}, false},
	} {
		q := NewScreenRows(1, 3)
		q.Set(0, tc.x)
		qr, b := q.Row(0)
		if got := math.IsInf(float64(b.Err), 1); got != tc.unbounded {
			t.Errorf("%s: Err = %v, want unbounded %v", tc.name, b.Err, tc.unbounded)
		}
		if tc.unbounded && (qr[0] != 0 || b.Step != 0) {
			t.Errorf("%s: an unbounded row is not zero", tc.name)
		}
		if eps := ScreenBound(b, b, 3); math.IsInf(float64(eps), 1) != tc.unbounded || eps != eps {
			t.Errorf("%s: ScreenBound = %v", tc.name, eps)
		}
	}

}

// TestQuantisePathsAgree wants the assembly passes of the quantiser to
// give the pure-Go passes' bits: the same int16 values and the same bound
// fields, for every kind of row, lengths that leave a tail in the last
// chunk, and rows the bound cannot cover.
func TestQuantisePathsAgree(t *testing.T) {
	if !asmSupported() {
		t.Skip("no assembly kernels on this machine or build")
	}
	defer ForceGeneric(false)
	r := rand.New(rand.NewPCG(17, 18))
	var cases [][]float32
	for _, k := range []int{1, 3, 4, 7, 64, 65, 130, 383, 384, 1024, 1027} {
		cases = append(cases, makeRows(r, 40, k, -1)...)
	}
	cases = append(cases,
		[]float32{1, float32(math.NaN()), 0, 2, 3},
		[]float32{0, 0, float32(math.Inf(1)), 0, 1, 1, 1, 1},
		[]float32{0, 0, 0, 0, 0},
		[]float32{0x1p24, -0x1p24, 1, 2, 3, 4, 5, 6, 7},
	)
	for n, x := range cases {
		var got [2]*ScreenRows
		for path, generic := range []bool{false, true} {
			ForceGeneric(generic)
			got[path] = NewScreenRows(1, len(x))
			got[path].Set(0, x)
		}
		qa, ba := got[0].Row(0)
		qg, bg := got[1].Row(0)
		if !slices.Equal(qa, qg) || ba != bg {
			t.Fatalf("row %d (k=%d): assembly %v, pure Go %v", n, len(x), ba, bg)
		}
	}
}

func TestScreenWindow(t *testing.T) {
	for _, tc := range []struct{ t, eps float32 }{
		{0.3, 1.5e-4}, {0, 1e-4}, {-0.7, 3e-4}, {0.3, 0}, {1, 1e-30}, {1e-38, 1e-40},
	} {
		lo, hi := ScreenWindow(tc.t, tc.eps)
		if !(float64(lo) <= float64(tc.t)-float64(tc.eps)) || !(float64(hi) >= float64(tc.t)+float64(tc.eps)) {
			t.Errorf("ScreenWindow(%v, %v) = [%v, %v): not around t ± ε", tc.t, tc.eps, lo, hi)
		}
		if float64(hi)-float64(lo) > 2*float64(tc.eps)+4*(math.Abs(float64(tc.t))+float64(tc.eps))*0x1p-23+0x1p-140 {
			t.Errorf("ScreenWindow(%v, %v) = [%v, %v): wider than needed", tc.t, tc.eps, lo, hi)
		}
	}
	lo, hi := ScreenWindow(0.3, float32(math.Inf(1)))
	if !math.IsInf(float64(lo), -1) || !math.IsInf(float64(hi), 1) {
		t.Errorf("infinite ε: window [%v, %v)", lo, hi)
	}
}

func TestScreenPanicsOnBadArguments(t *testing.T) {
	q := NewScreenRows(3, 4)
	var b ScreenBlock
	b.Load(q, []int{0, 1})
	for name, f := range map[string]func(){
		"short output":   func() { b.Screen(q, 0, 3, make([]float32, 2*16)) },
		"past the rows":  func() { b.Screen(q, 1, 3, make([]float32, 3*16)) },
		"other length":   func() { b.Screen(NewScreenRows(3, 5), 0, 1, make([]float32, 16)) },
		"load past rows": func() { b.Load(q, []int{3}) },
		"set short row":  func() { q.Set(0, make([]float32, 3)) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

// TestScreenBoundMonotone: the bound of field-wise maxima covers every
// pair, as ScreenBound's documentation promises for a per-tile ε.
func TestScreenBoundMonotone(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	const k = 300
	q := quantiseAll(makeRows(r, 40, k, -1), k)
	var hi [2]RowBound
	for i := range 40 {
		_, b := q.Row(i)
		h := &hi[i/20]
		h.Norm, h.QNorm, h.Err, h.Prefix = max(h.Norm, b.Norm), max(h.QNorm, b.QNorm), max(h.Err, b.Err), max(h.Prefix, b.Prefix)
	}
	tile := ScreenBound(hi[0], hi[1], k)
	for i := range 20 {
		for j := 20; j < 40; j++ {
			_, a := q.Row(i)
			_, b := q.Row(j)
			if e := ScreenBound(a, b, k); e > tile {
				t.Fatalf("pair (%d, %d): ε = %g above the tile's %g", i, j, e, tile)
			}
		}
	}
}

// medianBound is the median ε of pairs of random unit rows at k = 1024
// that SCREEN.md predicts.
const medianBound = 1.5e-4

// TestScreenBoundMedian checks that the bound is as tight as SCREEN.md
// says: on random unit rows at D = 1024 the median ε is within 10% of the
// prediction.
func TestScreenBoundMedian(t *testing.T) {
	r := rand.New(rand.NewPCG(17, 18))
	const k = 1024
	q := quantiseAll(makeRows(r, 64, k, 0), k)
	var eps []float64
	for i := range 32 {
		for j := 32; j < 64; j++ {
			_, a := q.Row(i)
			_, b := q.Row(j)
			eps = append(eps, float64(ScreenBound(a, b, k)))
		}
	}
	slices.Sort(eps)
	med := eps[len(eps)/2]
	t.Logf("median ε at k=%d: %.4g (min %.4g, max %.4g)", k, med, eps[0], eps[len(eps)-1])
	if math.Abs(med-medianBound)/medianBound > 0.1 {
		t.Errorf("median ε = %.4g, SCREEN.md predicts %.4g", med, medianBound)
	}
}

// screenBenchShape is one block of the scan: 256 anchors against a tile of
// 48 candidates, as scan does it.
const screenBenchM, screenBenchN = 256, 48

// benchKernels returns the exact kernel and the screen, each ready to run
// one block × tile, for random unit rows of length k.
func benchKernels(k int) (dots, screen func()) {
	m, n := screenBenchM, screenBenchN
	rows := makeRows(rand.New(rand.NewPCG(1, 2)), m+n, k, 0)
	var blk Block
	blk.Load(rows[:m], k)
	cand := slices.Concat(rows[m:]...)
	c := make([]float32, n*blk.Stride())
	q := quantiseAll(rows, k)
	var sblk ScreenBlock
	sblk.Load(q, seq(m))
	sc := make([]float32, n*sblk.Stride())
	return func() { blk.Dots(cand, k, n, c) }, func() { sblk.Screen(q, m, n, sc) }
}

// BenchmarkScreen times the screen and, as the baseline, Dots on the same
// rows, at the scan's block shape. GFLOP/s counts 2·k operations a pair for
// both, so for the screen it is a float32-equivalent rate; the bytes are
// the candidate tile's (float32 for Dots, int16 for the screen).
func BenchmarkScreen(b *testing.B) {
	for _, generic := range []bool{false, true} {
		for _, k := range []int{384, 768, 1024} {
			for _, kernel := range []string{"dots", "screen"} {
				name := fmt.Sprintf("asm=%v/D=%d/%s", !generic && asmSupported(), k, kernel)
				b.Run(name, func(b *testing.B) {
					ForceGeneric(generic)
					defer ForceGeneric(false)
					dots, screen := benchKernels(k)
					run, size := dots, 4
					if kernel == "screen" {
						run, size = screen, 2
					}
					b.SetBytes(int64(screenBenchN * k * size))
					b.ReportAllocs()
					b.ResetTimer()
					for range b.N {
						run()
					}
					reportPairs(b, k, b.Elapsed().Seconds())
				})
			}
		}
	}
}

// BenchmarkScreenSpeedup alternates Dots and the screen on the same rows,
// call by call, and reports the ratio of their total times (speedup) and of
// their fastest calls (speedup-best): on a shared, noisy machine these are
// steadier than two separate benchmarks.
func BenchmarkScreenSpeedup(b *testing.B) {
	for _, k := range []int{384, 768, 1024} {
		b.Run(fmt.Sprintf("D=%d", k), func(b *testing.B) {
			dots, screen := benchKernels(k)
			var td, ts time.Duration
			bd, bs := time.Duration(math.MaxInt64), time.Duration(math.MaxInt64)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				dots()
				t1 := time.Now()
				screen()
				t2 := time.Now()
				td += t1.Sub(t0)
				ts += t2.Sub(t1)
				bd, bs = min(bd, t1.Sub(t0)), min(bs, t2.Sub(t1))
			}
			flop := 2 * float64(k) * screenBenchM * screenBenchN
			b.ReportMetric(td.Seconds()/ts.Seconds(), "speedup")
			b.ReportMetric(bd.Seconds()/bs.Seconds(), "speedup-best")
			b.ReportMetric(flop/bd.Seconds()/1e9, "dots-best-GFLOP/s")
			b.ReportMetric(flop/bs.Seconds()/1e9, "screen-best-GFLOP/s")
		})
	}
}

func reportPairs(b *testing.B, k int, sec float64) {
	pairs := float64(screenBenchM*screenBenchN) * float64(b.N) / sec
	b.ReportMetric(pairs/1e6, "Mpairs/s")
	b.ReportMetric(2*float64(k)*pairs/1e9, "GFLOP/s")
}

// BenchmarkRecheckPair times one pair's exact similarity on its own, in
// Dots's order: one dependent chain of k additions, the cost of a re-check
// done a pair at a time. It reports the fastest of batches of 100 calls, in
// ns a pair, to compare with BenchmarkScreenSpeedup's fastest Dots calls.
func BenchmarkRecheckPair(b *testing.B) {
	for _, k := range []int{384, 768, 1024} {
		b.Run(fmt.Sprintf("D=%d", k), func(b *testing.B) {
			rows := makeRows(rand.New(rand.NewPCG(1, 2)), 2, k, 0)
			var s float32
			best := time.Duration(math.MaxInt64)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				for range 100 {
					s += dot(rows[0], rows[1])
				}
				best = min(best, time.Since(t0))
			}
			sink = s
			b.ReportMetric(best.Seconds()/100*1e9, "best-ns/pair")
		})
	}
}

var sink float32

func BenchmarkQuantise(b *testing.B) {
	const k = 1024
	rows := makeRows(rand.New(rand.NewPCG(1, 2)), 64, k, 0)
	q := NewScreenRows(len(rows), k)
	b.SetBytes(int64(len(rows) * k * 4))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		for i, x := range rows {
			q.Set(i, x)
		}
	}
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
