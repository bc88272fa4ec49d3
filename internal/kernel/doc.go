// Package kernel holds the inner loop of the similarity scan: a tile of dot
// products between rows of two row-major float32 matrices.
//
// Every implementation must give bit-identical results: each output is the
// sum over k, in increasing k, of the products a[k]*b[k], each product
// rounded to float32 before it is added (no fused multiply-add). That fixed
// order is what makes hardneg's output independent of the tile sizes, the
// thread count and the CPU path chosen.
//
// The screen (ScreenRows, ScreenBlock, ScreenBound) is a cheaper int16
// approximation of the same tiles with a rigorous bound on its distance from
// Dots's bits, so that a scan can leave out the exact work for pairs far
// from every threshold. SCREEN.md has the measurements and the derivation.
//
// The package is not a general BLAS: it computes only A·Bᵀ tiles small
// enough to stay in cache.
package kernel
