// Command gen writes the AVX2 micro-kernel of internal/kernel.
//
//	cd _generate && go run . -out ../internal/kernel/dot_amd64.s -stubs ../internal/kernel/dot_stub_amd64.go
//
// The kernel multiplies one packed panel of 16 anchors by 6 candidate rows.
// It uses VMULPS then VADDPS, never FMA: each product is rounded to float32
// before it is added, in increasing k, which is exactly what the pure-Go
// path computes, so both give the same bits.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// unroll is how many k steps one loop iteration does.
const unroll = 4

func main() {
	Package("github.com/hardneg/hardneg/internal/kernel")
	ConstraintExpr("!noasm")

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

	// Rows 0-2 are addressed from b0, rows 3-5 from b3 = b0 + 3*ldb.
	b3 := GP64()
	LEAQ(Mem{Base: b0, Index: ldb, Scale: 2}, b3)
	ADDQ(ldb, b3)
	rowMem := func(j, disp int) Mem {
		base := b0
		if j >= 3 {
			base = b3
		}
		switch j % 3 {
		case 0:
			return Mem{Base: base, Disp: disp}
		case 1:
			return Mem{Base: base, Index: ldb, Scale: 1, Disp: disp}
		default:
			return Mem{Base: base, Index: ldb, Scale: 2, Disp: disp}
		}
	}

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

	Generate()
}
