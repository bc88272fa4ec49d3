package kernel

// PanelRows is the number of anchor rows the assembly kernel packs together.
const PanelRows = 16

// kBlock is the length of the slices of k the assembly path works on: a
// 16 × 256 slice of a panel is 16 KiB, half of L1.
const kBlock = 256

// Block holds a block of anchor rows, laid out for the kernel in use, so
// that candidate rows can stream past it.
type Block struct {
	m, k   int
	rows   []float32 // m × k, row-major: the pure-Go path
	panels []float32 // ⌈m/16⌉ panels, each k × 16 (k-major): the assembly path
}

// Load copies the anchor rows, each k long, into the block. It reuses the
// block's memory when it can.
func (b *Block) Load(rows [][]float32, k int) {
	b.m, b.k = len(rows), k
	if !useAsm {
		b.rows = grow(b.rows, b.m*k)
		for i, r := range rows {
			copy(b.rows[i*k:(i+1)*k], r[:k])
		}
		return
	}
	np := (b.m + PanelRows - 1) / PanelRows
	b.panels = grow(b.panels, np*PanelRows*k)
	clear(b.panels)
	for i, r := range rows {
		p, lane := i/PanelRows, i%PanelRows
		panel := b.panels[p*PanelRows*k : (p+1)*PanelRows*k]
		for q, v := range r[:k] {
			panel[q*PanelRows+lane] = v
		}
	}
}

// Rows is the number of anchors loaded.
func (b *Block) Rows() int { return b.m }

// Stride is the distance between candidates in the output of Dots: the
// number of anchors rounded up to a whole panel.
func (b *Block) Stride() int { return (b.m + PanelRows - 1) / PanelRows * PanelRows }

// Dots sets c[j*Stride()+i] to the dot product of anchor i and candidate j,
// for i < Rows() and j < n, where candidate j is cand[j*ldc : j*ldc+k]:
//
//	for j := 0; j < n; j++ {
//		for i := 0; i < b.Rows(); i++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += float32(anchor[i][p] * cand[j*ldc+p])
//			}
//			c[j*b.Stride()+i] = s
//		}
//	}
//
// Every path sums in that order, each product rounded to float32 before it
// is added (no fused multiply-add), so every path gives the same bits.
// Entries for i in [Rows(), Stride()) are left unspecified.
func (b *Block) Dots(cand []float32, ldc, n int, c []float32) {
	stride := b.Stride()
	if n < 0 || ldc < b.k || (n > 0 && len(cand) < (n-1)*ldc+b.k) || (n > 0 && len(c) < (n-1)*stride+b.m) {
		panic("kernel: bad arguments to Dots")
	}
	if n == 0 || b.m == 0 {
		return
	}
	if !useAsm {
		dotTileGeneric(n, b.m, b.k, cand, ldc, b.rows, b.k, c, stride)
		return
	}
	k := b.k
	if k == 0 {
		for j := range n {
			clear(c[j*stride : j*stride+b.m])
		}
		return
	}
	n6 := n / 6 * 6
	for p := 0; p*PanelRows < b.m; p++ {
		panel := b.panels[p*PanelRows*k : (p+1)*PanelRows*k]
		// k is done in blocks so that the slice of the panel in use stays
		// in L1; the kernel resumes each sum where the last block left it.
		for k0 := 0; k0 < k; k0 += kBlock {
			kc := min(kBlock, k-k0)
			for j := 0; j < n6; j += 6 {
				dot16x6(kc, panel[k0*PanelRows:], cand[j*ldc+k0:], ldc, c[j*stride+p*PanelRows:], stride, k0 > 0)
			}
		}
		// The last few candidates: the same sums, one at a time.
		for j := n6; j < n; j++ {
			cj := cand[j*ldc : j*ldc+k]
			for lane := 0; lane < PanelRows && p*PanelRows+lane < b.m; lane++ {
				var s float32
				for q, v := range cj {
					s += float32(panel[q*PanelRows+lane] * v)
				}
				c[j*stride+p*PanelRows+lane] = s
			}
		}
	}
}

// useAsm says whether the assembly path runs; it is set once at init.
var useAsm bool

// Accelerated reports whether an assembly kernel is in use.
func Accelerated() bool { return useAsm }

// ForceGeneric switches to the pure-Go path (on) or back to the best path
// for this CPU (off), for tests and benchmarks. Blocks and ScreenBlocks
// loaded before the switch must be loaded again.
func ForceGeneric(on bool) {
	useAsm = !on && asmSupported()
}

func init() { useAsm = asmSupported() }

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
