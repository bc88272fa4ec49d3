package kernel

// screenTileGeneric sets c[j*stride+i] to the screened similarity of row i
// of a and row j of b (each ld int16 apart, k used), with the steps sa[i]
// and sb[j], for i < m and j < n: the loop of ScreenBlock.Screen. It works
// on 2 anchors by 4 candidates at a time so that each loaded value is used
// several times while eight sums stay in registers.
func screenTileGeneric(m, n, k int, a []int16, ld int, sa []float32, b []int16, sb []float32, c []float32, stride int) {
	i := 0
	for ; i+2 <= m; i += 2 {
		a0 := a[i*ld : i*ld+k]
		a1 := a[(i+1)*ld : (i+1)*ld+k]
		j := 0
		for ; j+4 <= n; j += 4 {
			b0 := b[j*ld : j*ld+k]
			b1 := b[(j+1)*ld : (j+1)*ld+k]
			b2 := b[(j+2)*ld : (j+2)*ld+k]
			b3 := b[(j+3)*ld : (j+3)*ld+k]
			var f [8]float32
			for c0 := 0; c0 < k; c0 += ScreenChunk {
				// Slices of one length let the compiler drop the bounds
				// checks in the loop.
				c1 := min(c0+ScreenChunk, k)
				x0s, x1s := a0[c0:c1], a1[c0:c1]
				x1s = x1s[:len(x0s)]
				y0s, y1s, y2s, y3s := b0[c0:c1], b1[c0:c1], b2[c0:c1], b3[c0:c1]
				y0s, y1s, y2s, y3s = y0s[:len(x0s)], y1s[:len(x0s)], y2s[:len(x0s)], y3s[:len(x0s)]
				var s00, s01, s02, s03, s10, s11, s12, s13 int32
				for p := range x0s {
					x0, x1 := int32(x0s[p]), int32(x1s[p])
					y0, y1, y2, y3 := int32(y0s[p]), int32(y1s[p]), int32(y2s[p]), int32(y3s[p])
					s00 += x0 * y0
					s01 += x0 * y1
					s02 += x0 * y2
					s03 += x0 * y3
					s10 += x1 * y0
					s11 += x1 * y1
					s12 += x1 * y2
					s13 += x1 * y3
				}
				f[0] += float32(s00)
				f[1] += float32(s01)
				f[2] += float32(s02)
				f[3] += float32(s03)
				f[4] += float32(s10)
				f[5] += float32(s11)
				f[6] += float32(s12)
				f[7] += float32(s13)
			}
			for jj := range 4 {
				c[(j+jj)*stride+i] = float32(f[jj]*sa[i]) * sb[j+jj]
				c[(j+jj)*stride+i+1] = float32(f[4+jj]*sa[i+1]) * sb[j+jj]
			}
		}
		for ; j < n; j++ {
			bj := b[j*ld : j*ld+k]
			c[j*stride+i] = screenOne(a0, bj, sa[i], sb[j])
			c[j*stride+i+1] = screenOne(a1, bj, sa[i+1], sb[j])
		}
	}
	for ; i < m; i++ {
		ai := a[i*ld : i*ld+k]
		for j := 0; j < n; j++ {
			c[j*stride+i] = screenOne(ai, b[j*ld:j*ld+k], sa[i], sb[j])
		}
	}
}

// screenOne is the screened similarity of one pair of rows of equal length.
func screenOne(x, y []int16, rx, ry float32) float32 {
	y = y[:len(x)]
	var f float32
	for c0 := 0; c0 < len(x); c0 += ScreenChunk {
		var s int32
		for p := c0; p < min(c0+ScreenChunk, len(x)); p++ {
			s += int32(x[p]) * int32(y[p])
		}
		f += float32(s)
	}
	return float32(f*rx) * ry
}

// screenPanelGeneric is screenTileGeneric for the mp ≤ 16 anchors of one
// assembly panel (pairs of elements, 16 anchors side by side) against n
// candidates: the candidates left over after the kernel's groups of six.
func screenPanelGeneric(mp, n, k int, panel []int16, sa []float32, b []int16, ld int, sb []float32, c []float32, stride int) {
	for j := 0; j < n; j++ {
		bj := b[j*ld : j*ld+k]
		for lane := 0; lane < mp; lane++ {
			var f float32
			for c0 := 0; c0 < k; c0 += ScreenChunk {
				var s int32
				for e := c0; e < min(c0+ScreenChunk, k); e++ {
					s += int32(panel[e/2*2*PanelRows+2*lane+e%2]) * int32(bj[e])
				}
				f += float32(s)
			}
			c[j*stride+lane] = float32(f*sa[lane]) * sb[j]
		}
	}
}
