package kernel

import (
	"math"
	"testing"
	"time"
)

// probeBatch is the iterations one timed call of a probe runs: about 10 µs,
// short enough that some calls run undisturbed on a busy machine.
const probeBatch = 10000

// bestRate runs f(probeBatch) b.N times and returns the iterations per
// second of the fastest call: on a shared machine the best call is the
// steadiest measure of what the core can do.
func bestRate(b *testing.B, f func(n int)) float64 {
	best := time.Duration(math.MaxInt64)
	for range b.N {
		t0 := time.Now()
		f(probeBatch)
		best = min(best, time.Since(t0))
	}
	return probeBatch / best.Seconds()
}

// BenchmarkProbe measures the raw throughput of the instruction mixes a
// screen could use, with data in registers: multiply-adds per second of the
// fastest call, as "Gmac/s" (one multiply-add is two flops of the float32
// kernel), and the clock of the moment. Run it in the same process as
// BenchmarkScreen and BenchmarkDots, so that the numbers share the
// machine's state; SCREEN.md explains the choice it supports.
func BenchmarkProbe(b *testing.B) {
	if !probesSupported {
		b.Skip("no AVX2 and FMA, or a build without assembly")
	}
	// 12 dependent additions take 12 cycles: the clock, to turn the rates
	// below into multiply-adds per cycle.
	b.Run("clock", func(b *testing.B) {
		b.ReportMetric(12*bestRate(b, probeClock)/1e9, "GHz")
	})
	for _, p := range probes {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			b.ReportMetric(float64(p.products)*bestRate(b, p.run)/1e9, "Gmac/s")
		})
	}
}
