package kernel

import (
	"math"
	"testing"

	"github.com/x448/float16"
)

// Float16To32 must agree with x448/float16, which its author checked
// against all 65536 inputs, on every input.
func TestFloat16To32Exhaustive(t *testing.T) {
	for h := range 1 << 16 {
		got, want := Float16To32(uint16(h)), float16.Frombits(uint16(h)).Float32()
		if got != got && want != want && math.Signbit(float64(got)) == math.Signbit(float64(want)) {
			continue // NaN payloads may differ: numpy keeps them, x448 sets the quiet bit
		}
		if math.Float32bits(got) != math.Float32bits(want) {
			t.Errorf("Float16To32(%#04x) = %#08x, want %#08x", h, math.Float32bits(got), math.Float32bits(want))
		}
	}
}

// TestHalfToFloatPathsAgree converts every half-precision value, at every
// offset within a vector, with the best path and with pure Go.
func TestHalfToFloatPathsAgree(t *testing.T) {
	src := make([]uint16, 1<<16+5)
	for i := range src {
		src[i] = uint16(i)
	}
	for _, off := range []int{0, 1, 3, 5} {
		got := make([]float32, len(src)-off)
		HalfToFloat(got, src[off:])
		for i, v := range got {
			want := Float16To32(src[off+i])
			if want != want && v != v {
				continue // F16C quiets signalling NaNs; embeddings never hold NaN
			}
			if math.Float32bits(v) != math.Float32bits(want) {
				t.Fatalf("offset %d: %#04x converts to %#08x, want %#08x", off, src[off+i], math.Float32bits(v), math.Float32bits(want))
			}
		}
	}
}

func TestFloatToHalfRoundsToNearestEven(t *testing.T) {
	for h := range 1 << 16 {
		f := Float16To32(uint16(h))
		if f != f {
			continue
		}
		out := []uint16{0}
		FloatToHalf(out, []float32{f})
		if out[0] != uint16(h) {
			t.Fatalf("%#04x -> %v -> %#04x: not a round trip", h, f, out[0])
		}
	}
	for _, tc := range []struct {
		in   float32
		want float32
	}{
		{1 + 0x1p-11, 1},                     // halfway: ties to even (down)
		{1 + 3*0x1p-11, 1 + 0x1p-9},          // halfway: ties to even (up)
		{1 + 0x1p-11 + 0x1p-20, 1 + 0x1p-10}, // just above halfway
		{65520, float32(math.Inf(1))},
		{0x1p-25, 0}, // half the smallest subnormal: ties to even (zero)
	} {
		out := []uint16{0}
		FloatToHalf(out, []float32{tc.in})
		if got := Float16To32(out[0]); got != tc.want {
			t.Errorf("FloatToHalf(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func BenchmarkHalfToFloat(b *testing.B) {
	src := make([]uint16, 48*1024)
	for i := range src {
		src[i] = uint16(i * 7)
	}
	dst := make([]float32, len(src))
	for _, generic := range []bool{false, true} {
		b.Run(map[bool]string{false: "best", true: "generic"}[generic], func(b *testing.B) {
			ForceGeneric(generic)
			defer ForceGeneric(false)
			b.SetBytes(int64(2 * len(src)))
			for range b.N {
				HalfToFloat(dst, src)
			}
		})
	}
}
