package scan

import (
	"fmt"
	"math"

	"github.com/hardneg/hardneg/internal/kernel"
)

// Matrix is a row-major matrix whose rows are expected to be unit length,
// so that a dot product is a cosine similarity. It holds float32 values in
// Data, or, to halve its memory, half-precision values (as bits) in Half;
// exactly one of the two is set. Half rows are converted to float32 exactly
// as they are used, so a similarity is the float32 dot product of the
// half-precision vectors.
type Matrix struct {
	Rows, Cols int
	Data       []float32
	Half       []uint16
}

// Row returns row i of a float32 matrix.
func (m *Matrix) Row(i int) []float32 { return m.Data[i*m.Cols : (i+1)*m.Cols] }

// rowsTo32 writes rows [lo, hi) into dst as float32 and returns dst's
// filled part; for a float32 matrix it returns the rows in place.
func (m *Matrix) rowsTo32(dst []float32, lo, hi int) []float32 {
	if m.Half == nil {
		return m.Data[lo*m.Cols : hi*m.Cols]
	}
	dst = dst[:(hi-lo)*m.Cols]
	kernel.HalfToFloat(dst, m.Half[lo*m.Cols:hi*m.Cols])
	return dst
}

// rowRange returns rows [lo, hi) of m as a matrix that shares its storage.
func (m *Matrix) rowRange(lo, hi int) *Matrix {
	r := &Matrix{Rows: hi - lo, Cols: m.Cols}
	if m.Half != nil {
		r.Half = m.Half[lo*m.Cols : hi*m.Cols]
	} else {
		r.Data = m.Data[lo*m.Cols : hi*m.Cols]
	}
	return r
}

// Row32 returns row i as float32: in place for a float32 matrix, converted
// into a new slice for a half-precision one.
func (m *Matrix) Row32(i int) []float32 {
	if m.Half == nil {
		return m.Row(i)
	}
	return m.rowsTo32(make([]float32, m.Cols), i, i+1)
}

func (m *Matrix) valid() bool {
	n := m.Rows * m.Cols
	return m.Rows >= 0 && m.Cols >= 0 && (m.Half == nil && len(m.Data) == n || m.Data == nil && len(m.Half) == n)
}

// Similarity is the similarity of row a of A and row b of B, computed in
// the kernel's order (products rounded to float32, summed in increasing k),
// so it has the same bits the scan would give the pair.
func Similarity(A *Matrix, a int, B *Matrix, b int) float32 {
	return Dot(A.Row32(a), B.Row32(b))
}

// Dot is the dot product of x and y in the kernel's order: each product
// rounded to float32, then added in increasing index.
func Dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for k := range x {
		s += float32(x[k] * y[k])
	}
	return s
}

// Normalize scales row to unit length, summing squares in float64 so that
// the norm is exact to float32 precision whatever the dimension; dot
// products of normalised rows are then cosines. A zero or non-finite row
// has no direction and is refused.
func Normalize(row []float32) error {
	var ss float64
	for _, v := range row {
		ss += float64(v) * float64(v)
	}
	// Squares of finite float32 values cannot overflow a float64 sum of
	// any length a slice can have, so a NaN or an infinite element is the
	// only way to a non-finite sum: look for it then, not at every element.
	if math.IsNaN(ss) || math.IsInf(ss, 0) {
		for i, v := range row {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("column %d is %v; every value must be finite", i, v)
			}
		}
	}
	if ss == 0 {
		return fmt.Errorf("the row is all zeros and has no direction")
	}
	inv := 1 / math.Sqrt(ss)
	for i, v := range row {
		row[i] = float32(float64(v) * inv)
	}
	return nil
}
