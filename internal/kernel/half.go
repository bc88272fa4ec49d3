package kernel

import (
	"math"

	"github.com/x448/float16"
)

// HalfToFloat converts IEEE 754 half-precision values (as bits) to float32,
// exactly, for len(dst) elements:
//
//	for i := range dst {
//		dst[i] = Float16To32(src[i])
//	}
//
// On CPUs with F16C it converts eight at a time.
func HalfToFloat(dst []float32, src []uint16) {
	src = src[:len(dst)]
	i := 0
	if useAsm && hasF16C {
		i = len(dst) / 8 * 8
		if i > 0 {
			halfToFloat(dst[:i], src[:i])
		}
	}
	for ; i < len(dst); i++ {
		dst[i] = Float16To32(src[i])
	}
}

// Float16To32 converts one half-precision value exactly; NaN payloads are
// kept. It is small enough to inline.
func Float16To32(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	mag := uint32(h & 0x7fff)
	switch {
	case mag >= 0x7c00: // inf, NaN
		return math.Float32frombits(sign | 0x7f800000 | (mag&0x3ff)<<13)
	case mag >= 0x0400: // normal: rebias the exponent from 15 to 127
		return math.Float32frombits(sign | (mag<<13 + (127-15)<<23))
	default: // zero or subnormal: mag units of 2^-24, exact in float32
		return math.Float32frombits(sign | math.Float32bits(float32(mag)*0x1p-24))
	}
}

// FloatToHalf rounds float32 values to half precision, to nearest with ties
// to even, for len(dst) elements.
func FloatToHalf(dst []uint16, src []float32) {
	src = src[:len(dst)]
	for i, v := range src {
		dst[i] = uint16(float16.Fromfloat32(v))
	}
}
