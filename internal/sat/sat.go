// Package sat is arithmetic on sizes in bytes or counts that saturates at
// math.MaxInt64 instead of wrapping, so that an absurd size is refused by
// a budget rather than turned negative and accepted.
package sat

import "math"

// Add returns a + b, or math.MaxInt64 when that overflows; a and b are
// sizes, never negative.
func Add(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// Mul returns a × b, 0 when either is 0 or negative, or math.MaxInt64
// when the product overflows.
func Mul(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}
