package kernel

import "testing"

// BenchmarkProbe measures the raw throughput of the instruction mixes a
// screen could use, with data in registers: multiply-adds per second, as
// "Gmac/s" (one multiply-add is two flops of the float32 kernel). Run it
// in the same process as BenchmarkScreen and BenchmarkDots, so that the
// numbers share the machine's state; SCREEN.md explains the choice it
// supports.
func BenchmarkProbe(b *testing.B) {
	if !probesSupported {
		b.Skip("no AVX2 and FMA, or a build without assembly")
	}
	// 12 dependent additions take 12 cycles: the clock of the moment, to
	// turn the rates below into multiply-adds per cycle.
	b.Run("clock", func(b *testing.B) {
		probeClock(b.N)
		b.ReportMetric(12*float64(b.N)/b.Elapsed().Seconds()/1e9, "GHz")
	})
	for _, p := range probes {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			p.run(b.N)
			b.ReportMetric(float64(p.products)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gmac/s")
		})
	}
}
