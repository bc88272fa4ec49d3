package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// chunkPairs is the number of element pairs in one of the screen's chunks
// (kernel.ScreenChunk / 2): the int32 sums are converted to float32 and
// added into c after each chunk.
const chunkPairs = 32

// screen16x6 writes the integer screening micro-kernel: one packed panel of
// 16 int16 anchor rows by 6 int16 candidate rows. For each pair of
// elements it broadcasts the candidate's two values as one int32 and
// VPMADDWD gives each anchor's two products summed in int32, which VPADDD
// adds up. Integer sums are exact, and the conversions, additions and
// scalings in float32 come in the order the pure-Go path uses, so both give
// the same bits.
func screen16x6() {
	TEXT("screen16x6AVX2", NOSPLIT, "func(kp int, ap *int16, b *int16, ldb int, c *float32, ldc int, first bool, last bool, sa *float32, sb *float32)")
	Doc(
		"screen16x6AVX2 adds to c[j*ldc+i], for i < 16 and j < 6, the float32 value of each chunk",
		"of 32 element pairs' int32 sum Σ ap[(p*16+i)*2+t] * b[j*ldb+2p+t] (t = 0, 1), chunk by",
		"chunk, over kp >= 1 pairs. With first it sets those c to zero before; with last it then",
		"multiplies each c[j*ldc+i] by sa[i] and then by sb[j]. ldb counts int16, ldc float32.",
	)
	kp := Load(Param("kp"), GP64())
	ap := Load(Param("ap"), GP64())
	b0 := Load(Param("b"), GP64())
	ldb := Load(Param("ldb"), GP64())
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(1), ldb) // bytes
	SHLQ(U8(2), ldc)

	rowMem, b3 := sixRows(b0, ldb)
	// cMem(j, half) is c's row j, anchors 8*half to 8*half+7.
	cRow, _ := sixRows(c, ldc)
	cMem := func(j, half int) Mem { return cRow(j, 32*half) }

	acc := make([]VecVirtual, 12) // acc[2j], acc[2j+1]: anchors 0-7 and 8-15 for candidate j
	for i := range acc {
		acc[i] = YMM()
		VPXOR(acc[i], acc[i], acc[i])
	}
	first := Load(Param("first"), GP8())
	TESTB(first, first)
	JZ(LabelRef("screen_chunk"))
	for j := 0; j < 6; j++ {
		VMOVUPS(acc[2*j], cMem(j, 0))
		VMOVUPS(acc[2*j+1], cMem(j, 1))
	}

	lo, hi, bc, tmp := YMM(), YMM(), YMM(), YMM()
	step := func(u int) {
		VMOVDQU(Mem{Base: ap, Disp: 64 * u}, lo)
		VMOVDQU(Mem{Base: ap, Disp: 64*u + 32}, hi)
		for j := 0; j < 6; j++ {
			VPBROADCASTD(rowMem(j, 4*u), bc)
			VPMADDWD(lo, bc, tmp)
			VPADDD(tmp, acc[2*j], acc[2*j])
			VPMADDWD(hi, bc, tmp)
			VPADDD(tmp, acc[2*j+1], acc[2*j+1])
		}
	}

	const unroll = 4
	n, m := GP64(), GP64()
	Label("screen_chunk")
	// n = min(kp, chunkPairs) pairs in this chunk.
	MOVQ(U32(chunkPairs), n)
	CMPQ(kp, n)
	CMOVQLT(kp, n)
	SUBQ(n, kp)
	MOVQ(n, m)
	SHRQ(U8(2), m) // unrolled iterations
	JZ(LabelRef("screen_tail"))
	Label("screen_loop")
	for u := 0; u < unroll; u++ {
		step(u)
	}
	ADDQ(U32(64*unroll), ap)
	ADDQ(U32(4*unroll), b0)
	ADDQ(U32(4*unroll), b3)
	DECQ(m)
	JNZ(LabelRef("screen_loop"))
	Label("screen_tail")
	ANDQ(U32(unroll-1), n)
	JZ(LabelRef("screen_flush"))
	Label("screen_tailloop")
	step(0)
	ADDQ(U32(64), ap)
	ADDQ(U32(4), b0)
	ADDQ(U32(4), b3)
	DECQ(n)
	JNZ(LabelRef("screen_tailloop"))

	// The chunk's int32 sums to float32, added into c; the accumulators
	// keep the new c for the scaling below and start the next chunk at 0.
	Label("screen_flush")
	for j := 0; j < 6; j++ {
		for half := 0; half < 2; half++ {
			x := acc[2*j+half]
			VCVTDQ2PS(x, x)
			VADDPS(cMem(j, half), x, x)
			VMOVUPS(x, cMem(j, half))
		}
	}
	TESTQ(kp, kp)
	JZ(LabelRef("screen_done"))
	for i := range acc {
		VPXOR(acc[i], acc[i], acc[i])
	}
	JMP(LabelRef("screen_chunk"))

	Label("screen_done")
	last := Load(Param("last"), GP8())
	TESTB(last, last)
	JZ(LabelRef("screen_ret"))
	sa := Load(Param("sa"), GP64())
	sb := Load(Param("sb"), GP64())
	VMOVUPS(Mem{Base: sa}, lo)
	VMOVUPS(Mem{Base: sa, Disp: 32}, hi)
	for j := 0; j < 6; j++ {
		VBROADCASTSS(Mem{Base: sb, Disp: 4 * j}, bc)
		VMULPS(lo, acc[2*j], acc[2*j])
		VMULPS(bc, acc[2*j], acc[2*j])
		VMOVUPS(acc[2*j], cMem(j, 0))
		VMULPS(hi, acc[2*j+1], acc[2*j+1])
		VMULPS(bc, acc[2*j+1], acc[2*j+1])
		VMOVUPS(acc[2*j+1], cMem(j, 1))
	}
	Label("screen_ret")
	VZEROUPPER()
	RET()
}
