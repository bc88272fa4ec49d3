package kernel

// DotTile sets c[i*ldc+j] to the dot product of row i of a and row j of b,
// for i < m and j < n, each row k elements long:
//
//	for i := 0; i < m; i++ {
//		for j := 0; j < n; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += float32(a[i*lda+p] * b[j*ldb+p])
//			}
//			c[i*ldc+j] = s
//		}
//	}
//
// It is a variable so that a faster path can replace it at init and tests
// can force the reference path.
var DotTile = dotTileGeneric

// DotTileGeneric is the pure-Go path, kept reachable for differential tests.
func DotTileGeneric(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	dotTileGeneric(m, n, k, a, lda, b, ldb, c, ldc)
}

func checkTile(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 || lda < k || ldb < k || ldc < n {
		panic("kernel: bad tile dimensions")
	}
	if m > 0 && len(a) < (m-1)*lda+k || n > 0 && len(b) < (n-1)*ldb+k || m > 0 && len(c) < (m-1)*ldc+n {
		panic("kernel: slice too short for tile")
	}
}
