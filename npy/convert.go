package npy

import (
	"encoding/binary"
	"math"
	"unsafe"

	"github.com/x448/float16"

	"github.com/hardneg/hardneg/internal/kernel"
)

// The decoders read little-endian bytes whatever the host's byte order;
// the compiler turns each binary.LittleEndian load into one instruction on
// little-endian machines, so a pure-Go loop is all there is.

func decodeFloat16(dst []float32, src []byte) {
	src = src[:2*len(dst)]
	if len(src) > 0 && hostLittleEndian && uintptr(unsafe.Pointer(&src[0]))%2 == 0 {
		// The bytes already are the host's uint16s: convert them in bulk
		// (F16C, eight at a time, where the CPU has it).
		kernel.HalfToFloat(dst, unsafe.Slice((*uint16)(unsafe.Pointer(&src[0])), len(dst)))
		return
	}
	for i := range dst {
		dst[i] = kernel.Float16To32(binary.LittleEndian.Uint16(src[2*i:]))
	}
}

func decodeFloat32(dst []float32, src []byte) {
	src = src[:4*len(dst)]
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
	}
}

func decodeFloat64(dst []float32, src []byte) {
	src = src[:8*len(dst)]
	for i := range dst {
		dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
	}
}

// encode appends src to dst in dtype's little-endian layout. float16
// rounds to nearest, ties to even, as numpy's astype does.
func encode(dst []byte, src []float32, dtype DType) []byte {
	switch dtype {
	case Float16:
		for _, v := range src {
			dst = binary.LittleEndian.AppendUint16(dst, float16.Fromfloat32(v).Bits())
		}
	case Float32:
		for _, v := range src {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
		}
	case Float64:
		for _, v := range src {
			dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(float64(v)))
		}
	}
	return dst
}
