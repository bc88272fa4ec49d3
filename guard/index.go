package guard

import (
	"hash/maphash"
	"index/suffixarray"
	"slices"
	"sync"
	"unicode/utf8"
)

// Index holds the lexical indexes of one vocabulary under one Rules. It is
// built once by NewIndex and is safe for concurrent queries.
type Index struct {
	rules    Rules
	norms    []string // normalised form per row
	runes    []int32  // rune count of norms[row]
	maxRunes int32

	// rule normalized and the inner half of rule contains
	byNorm map[string]int32 // normalised form -> group
	groups []int32          // group g holds groupRows[groups[g]:groups[g+1]]
	gRows  []int32

	// the outer half of rule contains (nil when Contains is off)
	text   *suffixarray.Index
	starts []int32 // byte offset of each row's form in the joined text, then its length

	// rule edit distance (empty when EditDistance is off)
	seed    maphash.Seed
	delKeys []uint64 // sorted distinct hashes of deletion variants
	delOffs []int32  // rows of delKeys[i] are delRows[delOffs[i]:delOffs[i+1]]
	delRows []int32
	rn      [][]rune // normalised forms as runes, for verification

	pool sync.Pool // *searcher
}

// NewIndex normalises terms and builds the indexes that r needs. Row i of
// the vocabulary is terms[i]. It panics if r.EditDistance exceeds
// MaxEditDistance or a count in r is negative: validate settings first.
func NewIndex(terms []string, r Rules) *Index {
	if r.EditDistance > MaxEditDistance || r.EditDistance < 0 || r.Contains < 0 || r.EditMinRunes < 0 {
		panic("guard: rules out of range")
	}
	ix := &Index{
		rules: r,
		norms: make([]string, len(terms)),
		runes: make([]int32, len(terms)),
	}
	normalizeAll(terms, ix.norms)
	for i, s := range ix.norms {
		ix.runes[i] = int32(utf8.RuneCountInString(s))
		ix.maxRunes = max(ix.maxRunes, ix.runes[i])
	}
	if r.Normalized || r.Contains > 0 {
		ix.buildGroups()
	}
	if r.Contains > 0 {
		ix.buildText()
	}
	if r.EditDistance > 0 {
		ix.buildDeletions()
	}
	ix.pool.New = func() any { return ix.newSearcher() }
	return ix
}

// Len is the number of rows in the vocabulary.
func (ix *Index) Len() int { return len(ix.norms) }

// Norm returns the normalised form of row.
func (ix *Index) Norm(row int32) string { return ix.norms[row] }

// normalizeAll fills out with Normalize of each term, on up to GOMAXPROCS
// goroutines; the result does not depend on how many.
func normalizeAll(terms, out []string) {
	const chunk = 4096
	if len(terms) <= chunk {
		for i, t := range terms {
			out[i] = Normalize(t)
		}
		return
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers())
	for lo := 0; lo < len(terms); lo += chunk {
		hi := min(lo+chunk, len(terms))
		sem <- struct{}{}
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				out[i] = Normalize(terms[i])
			}
			<-sem
		})
	}
	wg.Wait()
}

func (ix *Index) buildGroups() {
	ix.byNorm = make(map[string]int32, len(ix.norms))
	groupOf := make([]int32, len(ix.norms))
	var sizes []int32
	for row, s := range ix.norms {
		if s == "" {
			groupOf[row] = -1
			continue
		}
		g, ok := ix.byNorm[s]
		if !ok {
			g = int32(len(sizes))
			ix.byNorm[s] = g
			sizes = append(sizes, 0)
		}
		groupOf[row] = g
		sizes[g]++
	}
	ix.groups = make([]int32, len(sizes)+1)
	for g, n := range sizes {
		ix.groups[g+1] = ix.groups[g] + n
	}
	ix.gRows = make([]int32, ix.groups[len(sizes)])
	fill := slices.Clone(ix.groups[:len(sizes)])
	for row, g := range groupOf {
		if g >= 0 {
			ix.gRows[fill[g]] = int32(row)
			fill[g]++
		}
	}
}

// sep joins the normalised forms; 0xFF never occurs in UTF-8, so no query
// matches across two terms.
const sep = 0xFF

func (ix *Index) buildText() {
	n := 0
	for _, s := range ix.norms {
		n += len(s) + 1
	}
	text := make([]byte, 0, n)
	ix.starts = make([]int32, len(ix.norms)+1)
	for row, s := range ix.norms {
		ix.starts[row] = int32(len(text))
		text = append(text, s...)
		text = append(text, sep)
	}
	ix.starts[len(ix.norms)] = int32(len(text))
	ix.text = suffixarray.New(text)
}

type delEntry struct {
	h   uint64
	row int32
}

func (ix *Index) buildDeletions() {
	k := ix.rules.EditDistance
	minRunes := int32(ix.rules.editMinRunes())
	ix.seed = maphash.MakeSeed()
	ix.rn = make([][]rune, len(ix.norms))
	for row, s := range ix.norms {
		if ix.runes[row] >= minRunes {
			ix.rn[row] = []rune(s)
		}
	}
	// Each worker collects the entries of a contiguous range of rows; the
	// concatenation in range order is then sorted, so the index is the same
	// for any number of workers.
	const chunk = 8192
	nChunks := (len(ix.norms) + chunk - 1) / chunk
	parts := make([][]delEntry, nChunks)
	run := func(c int) {
		var (
			d    deleter
			hs   []uint64
			part []delEntry
		)
		for row := c * chunk; row < min((c+1)*chunk, len(ix.norms)); row++ {
			if ix.rn[row] == nil {
				continue
			}
			hs = d.variants(ix.seed, ix.rn[row], k, hs[:0])
			for _, h := range hs {
				part = append(part, delEntry{h, int32(row)})
			}
		}
		parts[c] = part
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers())
	for c := range nChunks {
		sem <- struct{}{}
		wg.Go(func() { run(c); <-sem })
	}
	wg.Wait()
	total := 0
	for _, p := range parts {
		total += len(p)
	}
	all := make([]delEntry, 0, total)
	for i, p := range parts {
		all = append(all, p...)
		parts[i] = nil
	}
	sortEntries(all)
	ix.delRows = make([]int32, len(all))
	for i, e := range all {
		ix.delRows[i] = e.row
		if i == 0 || e.h != all[i-1].h {
			ix.delKeys = append(ix.delKeys, e.h)
			ix.delOffs = append(ix.delOffs, int32(i))
		}
	}
	ix.delOffs = append(ix.delOffs, int32(len(all)))
	ix.delKeys = slices.Clip(ix.delKeys)
	ix.delOffs = slices.Clip(ix.delOffs)
}

// sortEntries sorts by hash, then row: an LSD radix sort on the hash's top
// 32 bits (four byte passes, ending back in a), then a comparison sort of
// each run that shares those bits, which is short unless many rows share a
// deletion variant.
func sortEntries(a []delEntry) {
	if len(a) < 1<<12 {
		slices.SortFunc(a, cmpEntry)
		return
	}
	tmp := make([]delEntry, len(a))
	src, dst := a, tmp
	for shift := 32; shift < 64; shift += 8 {
		var count [256]int
		for _, e := range src {
			count[byte(e.h>>shift)]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, e := range src {
			b := byte(e.h >> shift)
			dst[count[b]] = e
			count[b]++
		}
		src, dst = dst, src
	}
	// four passes: the result is back in a
	for i := 0; i < len(a); {
		j := i + 1
		for j < len(a) && a[j].h>>32 == a[i].h>>32 {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(a[i:j], cmpEntry)
		}
		i = j
	}
}

func cmpEntry(x, y delEntry) int {
	switch {
	case x.h < y.h:
		return -1
	case x.h > y.h:
		return 1
	}
	return int(x.row) - int(y.row)
}

// deleter makes the hashes of a string's deletion neighbourhood.
type deleter struct {
	skip []bool
	buf  []byte
}

// variants appends to hs the distinct hashes of every string made by
// deleting at most k runes from r (r itself included), sorted.
func (d *deleter) variants(seed maphash.Seed, r []rune, k int, hs []uint64) []uint64 {
	d.skip = slices.Grow(d.skip[:0], len(r))[:len(r)]
	clear(d.skip)
	base := len(hs)
	var rec func(start, left int)
	rec = func(start, left int) {
		d.buf = d.buf[:0]
		for i, c := range r {
			if !d.skip[i] {
				d.buf = utf8.AppendRune(d.buf, c)
			}
		}
		hs = append(hs, maphash.Bytes(seed, d.buf))
		if left == 0 {
			return
		}
		for i := start; i < len(r); i++ {
			d.skip[i] = true
			rec(i+1, left-1)
			d.skip[i] = false
		}
	}
	rec(0, min(k, len(r)))
	tail := hs[base:]
	slices.Sort(tail)
	return hs[:base+len(slices.Compact(tail))]
}
