// Command gen writes the AVX2 micro-kernels of internal/kernel.
//
//	cd _generate && go run . -out ../internal/kernel/dot_amd64.s -stubs ../internal/kernel/dot_stub_amd64.go
//
// With -probes it writes instead the throughput probes that the benchmarks
// use to compare instruction mixes (see probe.go and SCREEN.md).
//
// The float32 kernel multiplies one packed panel of 16 anchors by 6
// candidate rows. It uses VMULPS then VADDPS, never FMA: each product is
// rounded to float32 before it is added, in increasing k, which is exactly
// what the pure-Go path computes, so both give the same bits. The int16
// screen (screen.go) has the same shape and the same promise.
//
// A new assembly function must be declared in the stub file by hand once
// before the first run: the generator loads the kernel package, which does
// not compile while its Go code calls a function that has no declaration.
package main

import (
	"flag"
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// unroll is how many k steps one loop iteration does.
const unroll = 4

func main() {
	// The package is loaded before the flags are parsed: parsing -out and
	// -stubs truncates the files it would load.
	Package("github.com/hardneg/hardneg/internal/kernel")
	probe := flag.Bool("probes", false, "write the throughput probes of the benchmarks instead of the kernels")
	flag.Parse()
	ConstraintExpr("!noasm")
	if *probe {
		probes()
	} else {
		dot16x6()
		screen16x6()
		classify16()
		dotPairs8()
		halfToFloat()
		chunkStats()
		quantChunk()
	}
	Generate()
}

// sixRows addresses six rows ld bytes apart, row 0 at base: rows 0-2
// from base and rows 3-5 from base3 = base + 3*ld, which it computes, so
// that each is one base plus 0, 1 or 2 times ld. row(j, disp) is byte
// disp of row j. A kernel that moves along the rows advances both bases.
func sixRows(base, ld Register) (row func(j, disp int) Mem, base3 Register) {
	base3 = GP64()
	LEAQ(Mem{Base: base, Index: ld, Scale: 2}, base3)
	ADDQ(ld, base3)
	row = func(j, disp int) Mem {
		b := base
		if j >= 3 {
			b = base3
		}
		if j%3 == 0 {
			return Mem{Base: b, Disp: disp}
		}
		return Mem{Base: b, Index: ld, Scale: uint8(j % 3), Disp: disp}
	}
	return row, base3
}

// dot16x6 writes the dot-product micro-kernel.
func dot16x6() {
	TEXT("dot16x6AVX2", NOSPLIT, "func(k int, ap *float32, b *float32, ldb int, c *float32, ldc int, accumulate bool)")
	Doc(
		"dot16x6AVX2 sets c[j*ldc+i] = Σ_p ap[p*16+i] * b[j*ldb+p] for i < 16, j < 6, p < k,",
		"adding the float32-rounded products in increasing p. ldb and ldc count float32 elements.",
		"With accumulate, the sums start from the values already in c instead of zero, so that a",
		"long k can be done in blocks and still give the bits of one pass.",
	)
	k := Load(Param("k"), GP64())
	ap := Load(Param("ap"), GP64())
	b0 := Load(Param("b"), GP64())
	ldb := Load(Param("ldb"), GP64())
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldb) // bytes
	SHLQ(U8(2), ldc)

	rowMem, b3 := sixRows(b0, ldb)

	acc := make([]VecVirtual, 12) // acc[2j], acc[2j+1]: anchors 0-7 and 8-15 for candidate j
	for i := range acc {
		acc[i] = YMM()
	}
	accumulate := Load(Param("accumulate"), GP8())
	TESTB(accumulate, accumulate)
	JNZ(LabelRef("load"))
	for i := range acc {
		VXORPS(acc[i], acc[i], acc[i])
	}
	JMP(LabelRef("start"))
	Label("load")
	cc := GP64()
	MOVQ(c, cc)
	for j := 0; j < 6; j++ {
		VMOVUPS(Mem{Base: cc}, acc[2*j])
		VMOVUPS(Mem{Base: cc, Disp: 32}, acc[2*j+1])
		if j < 5 {
			ADDQ(ldc, cc)
		}
	}
	Label("start")
	lo, hi, bc, tmp := YMM(), YMM(), YMM(), YMM()

	step := func(u int) {
		VMOVUPS(Mem{Base: ap, Disp: 64 * u}, lo)
		VMOVUPS(Mem{Base: ap, Disp: 64*u + 32}, hi)
		for j := 0; j < 6; j++ {
			VBROADCASTSS(rowMem(j, 4*u), bc)
			VMULPS(lo, bc, tmp)
			VADDPS(tmp, acc[2*j], acc[2*j])
			VMULPS(hi, bc, tmp)
			VADDPS(tmp, acc[2*j+1], acc[2*j+1])
		}
	}

	n := GP64()
	MOVQ(k, n)
	SHRQ(U8(2), n) // unrolled iterations
	JZ(LabelRef("tail"))
	Label("loop")
	for u := 0; u < unroll; u++ {
		step(u)
	}
	ADDQ(U32(64*unroll), ap)
	ADDQ(U32(4*unroll), b0)
	ADDQ(U32(4*unroll), b3)
	DECQ(n)
	JNZ(LabelRef("loop"))

	Label("tail")
	ANDQ(U32(unroll-1), k)
	JZ(LabelRef("store"))
	Label("tailloop")
	step(0)
	ADDQ(U32(64), ap)
	ADDQ(U32(4), b0)
	ADDQ(U32(4), b3)
	DECQ(k)
	JNZ(LabelRef("tailloop"))

	Label("store")
	for j := 0; j < 6; j++ {
		VMOVUPS(acc[2*j], Mem{Base: c})
		VMOVUPS(acc[2*j+1], Mem{Base: c, Disp: 32})
		if j < 5 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}

// classify16 writes the band classifier of Classify16: branch-free counts
// per band and lane, and a flag for every similarity whose sampling key may
// enter its band's sample.
func classify16() {
	TEXT("classify16AVX2", NOSPLIT, "func(n int, c *float32, stride int, h *uint32, seeds *uint32, edges *float32, nb int, counts *int32, limits *uint32, flags *uint16, win *float32, nw int)")
	Doc("classify16AVX2 is Classify16Windows for n >= 1, nb >= 1 and nw >= 0; stride counts float32 elements.")
	n := Load(Param("n"), GP64())
	c := Load(Param("c"), GP64())
	stride := Load(Param("stride"), GP64())
	h := Load(Param("h"), GP64())
	seeds := Load(Param("seeds"), GP64())
	edges := Load(Param("edges"), GP64())
	nb := Load(Param("nb"), GP64())
	counts := Load(Param("counts"), GP64())
	limits := Load(Param("limits"), GP64())
	flags := Load(Param("flags"), GP64())
	SHLQ(U8(2), stride)

	seed := []VecVirtual{YMM(), YMM()}
	VMOVDQU(Mem{Base: seeds}, seed[0])
	VMOVDQU(Mem{Base: seeds, Disp: 32}, seed[1])
	m1 := GLOBL("fmix32_m1", RODATA|NOPTR)
	DATA(0, U32(0x85ebca6b))
	m2 := GLOBL("fmix32_m2", RODATA|NOPTR)
	DATA(0, U32(0xc2b2ae35))
	c1, c2 := YMM(), YMM()
	VPBROADCASTD(m1, c1)
	VPBROADCASTD(m2, c2)

	hj, s, k, t, lo, hi, m, lim, fl := YMM(), YMM(), YMM(), YMM(), YMM(), YMM(), YMM(), YMM(), YMM()
	b, off, mask, word := GP64(), GP64(), GP64(), GP64()

	Label("cand")
	VPBROADCASTD(Mem{Base: h}, hj)
	XORQ(word, word)
	for half := 0; half < 2; half++ {
		VMOVUPS(Mem{Base: c, Disp: 32 * half}, s)
		// k = fmix32(seed ^ h[j])
		VPXOR(seed[half], hj, k)
		VPSRLD(U8(16), k, t)
		VPXOR(t, k, k)
		VPMULLD(c1, k, k)
		VPSRLD(U8(13), k, t)
		VPXOR(t, k, k)
		VPMULLD(c2, k, k)
		VPSRLD(U8(16), k, t)
		VPXOR(t, k, k)
		VPXOR(fl, fl, fl)

		XORQ(b, b)
		XORQ(off, off)
		Label(fmt.Sprintf("band%d", half))
		VBROADCASTSS(Mem{Base: edges, Index: b, Scale: 8}, lo)
		VBROADCASTSS(Mem{Base: edges, Index: b, Scale: 8, Disp: 4}, hi)
		VCMPPS(U8(0x1d), lo, s, m) // s >= lo, ordered
		VCMPPS(U8(0x11), hi, s, t) // s < hi, ordered
		VANDPS(t, m, m)
		// counts -= m (m is -1 where s is in the band)
		VMOVDQU(Mem{Base: counts, Index: off, Scale: 1, Disp: 32 * half}, t)
		VPSUBD(m, t, t)
		VMOVDQU(t, Mem{Base: counts, Index: off, Scale: 1, Disp: 32 * half})
		// flag where k <= limit: max(k, limit) == limit
		VMOVDQU(Mem{Base: limits, Index: off, Scale: 1, Disp: 32 * half}, lim)
		VPMAXUD(lim, k, t)
		VPCMPEQD(lim, t, t)
		VPAND(m, t, t)
		VPOR(t, fl, fl)
		INCQ(b)
		ADDQ(U8(64), off)
		CMPQ(b, nb)
		JL(LabelRef(fmt.Sprintf("band%d", half)))

		// The windows flag what is in them and count nothing.
		nw := Load(Param("nw"), GP64())
		TESTQ(nw, nw)
		JZ(LabelRef(fmt.Sprintf("flags%d", half)))
		wp := Load(Param("win"), GP64())
		Label(fmt.Sprintf("win%d", half))
		VBROADCASTSS(Mem{Base: wp}, lo)
		VBROADCASTSS(Mem{Base: wp, Disp: 4}, hi)
		VCMPPS(U8(0x1d), lo, s, m) // s >= lo, ordered
		VCMPPS(U8(0x11), hi, s, t) // s < hi, ordered
		VANDPS(t, m, m)
		VORPS(m, fl, fl)
		ADDQ(U8(8), wp)
		DECQ(nw)
		JNZ(LabelRef(fmt.Sprintf("win%d", half)))

		Label(fmt.Sprintf("flags%d", half))
		VMOVMSKPS(fl, mask.As32())
		if half == 1 {
			SHLQ(U8(8), mask)
		}
		ORQ(mask, word)
	}
	MOVW(word.As16(), Mem{Base: flags})
	ADDQ(U8(4), h)
	ADDQ(U8(2), flags)
	ADDQ(stride, c)
	DECQ(n)
	JNZ(LabelRef("cand"))
	VZEROUPPER()
	RET()
}

// dotPairs8 writes the re-check kernel of DotPairs: the dot products of
// eight unrelated pairs of rows, one pair per lane. Each step multiplies
// eight elements of each pair (VMULPS, rounded to float32), transposes the
// 8 × 8 products so that vector e holds element e of every pair, and adds
// them into the sums in increasing e: each lane sums in Dots's order, and
// its chain of additions overlaps the other steps' loads and shuffles.
func dotPairs8() {
	TEXT("dotPairs8AVX2", NOSPLIT, "func(k8 int, xs *[8]*float32, ys *[8]*float32, out *[8]float32)")
	// The arrays are the caller's locals; without this they would be
	// moved to the heap at every call.
	Pragma("noescape")
	Doc(
		"dotPairs8AVX2 sets out[q] = Σ_p xs[q][p] * ys[q][p] for q < 8 and p < 8*k8, k8 >= 1,",
		"adding the float32-rounded products in increasing p, one pair per lane.",
	)
	k8 := Load(Param("k8"), GP64())
	xs := Load(Param("xs"), GP64())
	ys := Load(Param("ys"), GP64())
	off, ptr := GP64(), GP64()
	XORQ(off, off)
	acc := YMM()
	VXORPS(acc, acc, acc)
	Label("pairstep")
	p := make([]VecVirtual, 8)
	for q := range p {
		p[q] = YMM()
		MOVQ(Mem{Base: xs, Disp: 8 * q}, ptr)
		VMOVUPS(Mem{Base: ptr, Index: off, Scale: 1}, p[q])
		MOVQ(Mem{Base: ys, Disp: 8 * q}, ptr)
		VMULPS(Mem{Base: ptr, Index: off, Scale: 1}, p[q], p[q])
	}
	// Rows q, q+1 interleaved: t[q] = q0 (q+1)0 q1 (q+1)1 | q4 (q+1)4 q5 (q+1)5,
	// t[q+1] the same for elements 2, 3 | 6, 7.
	t := make([]VecVirtual, 8)
	for q := 0; q < 8; q += 2 {
		t[q], t[q+1] = YMM(), YMM()
		VUNPCKLPS(p[q+1], p[q], t[q])
		VUNPCKHPS(p[q+1], p[q], t[q+1])
	}
	// u[4g+e] holds element e (low lane) and e+4 (high lane) of rows
	// 4g .. 4g+3.
	u := make([]VecVirtual, 8)
	for g := 0; g < 2; g++ {
		lo01, hi01, lo23, hi23 := t[4*g], t[4*g+1], t[4*g+2], t[4*g+3]
		for e, src := range [4][3]any{{0x44, lo23, lo01}, {0xee, lo23, lo01}, {0x44, hi23, hi01}, {0xee, hi23, hi01}} {
			u[4*g+e] = YMM()
			VSHUFPS(U8(src[0].(int)), src[1].(VecVirtual), src[2].(VecVirtual), u[4*g+e])
		}
	}
	c := YMM()
	for e := 0; e < 8; e++ {
		if e < 4 {
			VPERM2F128(U8(0x20), u[4+e], u[e], c) // element e of rows 0-3, then 4-7
		} else {
			VPERM2F128(U8(0x31), u[e], u[e-4], c)
		}
		VADDPS(c, acc, acc)
	}
	ADDQ(U8(32), off)
	DECQ(k8)
	JNZ(LabelRef("pairstep"))
	out := Load(Param("out"), GP64())
	VMOVUPS(acc, Mem{Base: out})
	VZEROUPPER()
	RET()
}

// halfToFloat writes the F16C conversion loop of HalfToFloat.
func halfToFloat() {
	TEXT("halfToFloatF16C", NOSPLIT, "func(dst *float32, src *uint16, blocks int)")
	Doc("halfToFloatF16C converts 8*blocks half-precision values to float32 with VCVTPH2PS; blocks >= 1.")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("blocks"), GP64())
	x := YMM()
	Label("conv")
	VCVTPH2PS(Mem{Base: src}, x)
	VMOVUPS(x, Mem{Base: dst})
	ADDQ(U8(16), src)
	ADDQ(U8(32), dst)
	DECQ(n)
	JNZ(LabelRef("conv"))
	VZEROUPPER()
	RET()
}
