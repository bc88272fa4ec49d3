package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The probes measure the throughput of the instruction mixes a screen could
// be built from, with all data in registers, so that SCREEN.md can compare
// them on the machine at hand in one run. Each probe runs n iterations of 12
// independent chains, the accumulator count of the 16×6 micro-kernel, so
// that latency is hidden the way it is there.
const probeChains = 12

func probes() {
	TEXT("probeClock", NOSPLIT, "func(n int)")
	Doc("probeClock runs n iterations of 12 dependent ADDQ: 12 cycles an iteration, which gives", "the clock the other probes ran at.")
	{
		n := Load(Param("n"), GP64())
		x := GP64()
		XORQ(x, x)
		Label("probeClock_loop")
		for range probeChains {
			ADDQ(n, x)
		}
		DECQ(n)
		JNZ(LabelRef("probeClock_loop"))
		RET()
	}
	probe("probeMulAddPS", "VMULPS then VADDPS: the float32 kernel's mix, 8 products per pair", func(a, b, t VecVirtual, acc []VecVirtual) {
		for _, x := range acc {
			VMULPS(a, b, t)
			VADDPS(t, x, x)
		}
	})
	probe("probeFMAPS", "VFMADD231PS: the float32 peak, 8 products per instruction", func(a, b, t VecVirtual, acc []VecVirtual) {
		for _, x := range acc {
			VFMADD231PS(a, b, x)
		}
	})
	probe("probeMaddWD", "VPMADDWD then VPADDD: int16 products, 16 per pair", func(a, b, t VecVirtual, acc []VecVirtual) {
		for _, x := range acc {
			VPMADDWD(a, b, t)
			VPADDD(t, x, x)
		}
	})
	probe("probeMaddUBSW", "VPMADDUBSW, VPMADDWD by ones, VPADDD: u8×s8 products, 32 per triple", func(a, b, t VecVirtual, acc []VecVirtual) {
		// b doubles as the vector of int16 ones: the values do not matter
		// to the timing.
		for _, x := range acc {
			VPMADDUBSW(a, b, t)
			VPMADDWD(b, t, t)
			VPADDD(t, x, x)
		}
	})
	probe("probeMaddUBSWAddW", "VPMADDUBSW then VPADDSW: u8×s8 products, 32 per pair, int16 sums", func(a, b, t VecVirtual, acc []VecVirtual) {
		for _, x := range acc {
			VPMADDUBSW(a, b, t)
			VPADDSW(t, x, x)
		}
	})
}

func probe(name, doc string, body func(a, b, t VecVirtual, acc []VecVirtual)) {
	TEXT(name, NOSPLIT, "func(n int)")
	Doc(name+" runs n iterations of 12 independent chains of "+doc+".", "It is a timing probe for the benchmarks and computes nothing.")
	n := Load(Param("n"), GP64())
	a, b, t := YMM(), YMM(), YMM()
	VPXOR(a, a, a)
	VPXOR(b, b, b)
	acc := make([]VecVirtual, probeChains)
	for i := range acc {
		acc[i] = YMM()
		VPXOR(acc[i], acc[i], acc[i])
	}
	Label(name + "_loop")
	body(a, b, t, acc)
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	VZEROUPPER()
	RET()
}
