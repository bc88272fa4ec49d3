package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
)

// The quantiser's two passes over a chunk of a row (kernel.ScreenRows.Set),
// four elements at a time in float64 lanes: lane l takes the elements
// p ≡ l (mod 4), and every lane adds in increasing p, as the pure-Go path
// does, so both give the same bits.

// f64Const returns a read-only float64 the kernels broadcast.
func f64Const(name string, v float64) Mem {
	m := GLOBL(name, RODATA|NOPTR)
	DATA(0, U64(math.Float64bits(v)))
	return m
}

// paramAddr is the stack address of a scalar argument, for an instruction
// that reads it from memory.
func paramAddr(name string) Mem {
	b, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// chunkStats writes the first pass: squares, prefix weights and the
// largest magnitude's bits. Its sums start from zero and are only stored:
// loading lanes the caller has just written would stall on store
// forwarding, which cost more than the whole loop.
func chunkStats() {
	TEXT("chunkStatsAVX2", NOSPLIT, "func(x *float32, n4 int, w0 float64, out *[8]float64) uint32")
	Pragma("noescape")
	Doc(
		"chunkStatsAVX2 sets, for the 4*n4 elements of x (n4 >= 1) and l < 4, out[l] to the sum of the",
		"squares x[4i+l]² and out[4+l] to the sum of the products (w0-4i-l)·x[4i+l]², each added in",
		"increasing i, and returns the largest float32 bits of |x[j]|.",
	)
	x := Load(Param("x"), GP64())
	n := Load(Param("n4"), GP64())
	C, P, W, four, X, S, T := YMM(), YMM(), YMM(), YMM(), YMM(), YMM(), YMM()
	VXORPD(C, C, C)
	VXORPD(P, P, P)
	// W = w0 − (0, 1, 2, 3), then 4 less each step.
	VBROADCASTSD(paramAddr("w0"), W)
	offs := GLOBL("quant_offs", RODATA|NOPTR)
	for l := range 4 {
		DATA(8*l, U64(math.Float64bits(float64(l))))
	}
	VSUBPD(offs, W, W)
	VBROADCASTSD(f64Const("quant_four", 4), four)
	absMask := GLOBL("quant_abs32", RODATA|NOPTR)
	DATA(0, U32(0x7fffffff))
	mask, bitsv, M := XMM(), XMM(), XMM()
	VPBROADCASTD(absMask, mask)
	VPXOR(M, M, M)

	Label("stats")
	VCVTPS2PD(Mem{Base: x}, X)
	VMULPD(X, X, S)
	VADDPD(S, C, C)
	VMULPD(S, W, T)
	VADDPD(T, P, P)
	VSUBPD(four, W, W)
	VMOVDQU(Mem{Base: x}, bitsv)
	VPAND(mask, bitsv, bitsv)
	VPMAXUD(bitsv, M, M)
	ADDQ(U8(16), x)
	DECQ(n)
	JNZ(LabelRef("stats"))

	out := Load(Param("out"), GP64())
	VMOVUPD(C, Mem{Base: out})
	VMOVUPD(P, Mem{Base: out, Disp: 32})
	// The largest of M's four lanes.
	t := XMM()
	VPSHUFD(U8(0x4e), M, t)
	VPMAXUD(t, M, M)
	VPSHUFD(U8(0xb1), M, t)
	VPMAXUD(t, M, M)
	r := GP32()
	VMOVD(M, r)
	Store(r, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// quantChunk writes the second pass: round to int16, the chunk's Σq², the
// error lanes, and whether any |q| went over the limit.
func quantChunk() {
	TEXT("quantChunkAVX2", NOSPLIT, "func(x *float32, q *int16, n4 int, inv float64, r float64, e *[4]float64) float64")
	Pragma("noescape")
	Doc(
		"quantChunkAVX2 sets q[j] = round(x[j]·inv) (ties to even) for the 4*n4 elements of x (n4 >= 1),",
		"sets e[l] to the sum of (x[4i+l] − q[4i+l]·r)² added in increasing i, and returns Σq², or −1 if",
		"any |q| > 32767.",
	)
	x := Load(Param("x"), GP64())
	q := Load(Param("q"), GP64())
	n := Load(Param("n4"), GP64())
	INV, R, MAGIC, QMAX, ABS := YMM(), YMM(), YMM(), YMM(), YMM()
	VBROADCASTSD(paramAddr("inv"), INV)
	VBROADCASTSD(paramAddr("r"), R)
	VBROADCASTSD(f64Const("quant_magic", 0x1.8p52), MAGIC)
	VBROADCASTSD(f64Const("quant_qmax", 32767), QMAX)
	VBROADCASTSD(f64Const("quant_abs64", math.Float64frombits(0x7fffffffffffffff)), ABS)
	E, C2, BAD, X, V, A, T := YMM(), YMM(), YMM(), YMM(), YMM(), YMM(), YMM()
	VXORPD(E, E, E)
	VXORPD(C2, C2, C2)
	VXORPD(BAD, BAD, BAD)
	iq := XMM()

	Label("quant")
	VCVTPS2PD(Mem{Base: x}, X)
	VMULPD(INV, X, V)
	VADDPD(MAGIC, V, V)
	VSUBPD(MAGIC, V, V)
	VANDPD(ABS, V, A)
	VCMPPD(U8(0x1e), QMAX, A, A) // |v| > 32767, ordered
	VORPD(A, BAD, BAD)
	VCVTTPD2DQY(V, iq)
	VPACKSSDW(iq, iq, iq)
	VMOVQ(iq, Mem{Base: q})
	VMULPD(V, V, T)
	VADDPD(T, C2, C2)
	VMULPD(R, V, T)
	VSUBPD(T, X, T)
	VMULPD(T, T, T)
	VADDPD(T, E, E)
	ADDQ(U8(16), x)
	ADDQ(U8(8), q)
	DECQ(n)
	JNZ(LabelRef("quant"))

	ep := Load(Param("e"), GP64())
	VMOVUPD(E, Mem{Base: ep})
	// Σq² is a sum of integers below 2⁵³: exact in any order.
	hi, lo := XMM(), XMM()
	VEXTRACTF128(U8(1), C2, hi)
	VADDPD(hi, C2.AsX(), lo)
	VHADDPD(lo, lo, lo)
	bad := GP32()
	VMOVMSKPD(BAD, bad)
	TESTL(bad, bad)
	JZ(LabelRef("quant_ok"))
	VMOVSD(f64Const("quant_minus1", -1), lo)
	Label("quant_ok")
	Store(lo, ReturnIndex(0))
	VZEROUPPER()
	RET()
}
