package kernel

// dotTileGeneric works on 2 rows of a by 4 rows of b at a time, so that each
// loaded element is used several times while eight sums stay in registers.
//
// It sets c[i*ldc+j] to the dot product of row i of a and row j of b, for
// i < m and j < n, each row k elements long, summing in increasing k with
// each product rounded to float32.
func dotTileGeneric(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 || lda < k || ldb < k || ldc < n {
		panic("kernel: bad tile dimensions")
	}
	i := 0
	for ; i+2 <= m; i += 2 {
		a0 := a[i*lda : i*lda+k]
		a1 := a[(i+1)*lda : (i+1)*lda+k]
		j := 0
		for ; j+4 <= n; j += 4 {
			b0 := b[j*ldb : j*ldb+k]
			b1 := b[(j+1)*ldb : (j+1)*ldb+k]
			b2 := b[(j+2)*ldb : (j+2)*ldb+k]
			b3 := b[(j+3)*ldb : (j+3)*ldb+k]
			var s00, s01, s02, s03, s10, s11, s12, s13 float32
			for p := range a0 {
				x0, x1 := a0[p], a1[p]
				y0, y1, y2, y3 := b0[p], b1[p], b2[p], b3[p]
				s00 += float32(x0 * y0)
				s01 += float32(x0 * y1)
				s02 += float32(x0 * y2)
				s03 += float32(x0 * y3)
				s10 += float32(x1 * y0)
				s11 += float32(x1 * y1)
				s12 += float32(x1 * y2)
				s13 += float32(x1 * y3)
			}
			c0 := c[i*ldc+j : i*ldc+j+4]
			c0[0], c0[1], c0[2], c0[3] = s00, s01, s02, s03
			c1 := c[(i+1)*ldc+j : (i+1)*ldc+j+4]
			c1[0], c1[1], c1[2], c1[3] = s10, s11, s12, s13
		}
		for ; j < n; j++ {
			c[i*ldc+j] = dot(a0, b[j*ldb:j*ldb+k])
			c[(i+1)*ldc+j] = dot(a1, b[j*ldb:j*ldb+k])
		}
	}
	for ; i < m; i++ {
		ai := a[i*lda : i*lda+k]
		for j := 0; j < n; j++ {
			c[i*ldc+j] = dot(ai, b[j*ldb:j*ldb+k])
		}
	}
}

func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s float32
	for p := range x {
		s += float32(x[p] * y[p])
	}
	return s
}
