package guard

import (
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// searcher is the scratch of one goroutine's queries.
type searcher struct {
	mark    []Rule   // best rule per row so far; self for the query rows
	touched []int32  // rows whose mark is set
	stamp   []uint32 // stamp[row] == cur: verified for the current query term
	cur     uint32
	del     deleter
	hs      []uint64
	row     []int // Levenshtein row
}

// self marks the anchor and its positives, which are never returned.
const self Rule = 255

func (ix *Index) newSearcher() *searcher {
	s := &searcher{mark: make([]Rule, len(ix.norms))}
	if ix.rules.EditDistance > 0 {
		s.stamp = make([]uint32, len(ix.norms))
		s.row = make([]int, ix.maxRunes+1)
	}
	return s
}

// Exclusions returns, for one anchor, the rows that are lexical variants of
// the anchor or of any of its positives under the index's rules, ascending
// and without repeats, and for each the first rule that matched it, in the
// order RuleNormalized, RuleContains, RuleEditDistance. The anchor and its
// positives are never among them (the caller excludes those anyway), but
// other rows with the same text are. It panics if a row is out of range.
func (ix *Index) Exclusions(anchor int32, positives []int32) (rows []int32, rules []Rule) {
	s := ix.pool.Get().(*searcher)
	rows, rules = ix.exclusions(s, anchor, positives)
	ix.pool.Put(s)
	return rows, rules
}

// ExclusionsAll runs Exclusions for every anchor, anchors[i] with
// positives[i], on up to threads goroutines. Anchor i's result is written
// only to slot i, so the output is the same for any threads. threads < 1
// means GOMAXPROCS.
func (ix *Index) ExclusionsAll(anchors []int32, positives [][]int32, threads int) ([][]int32, [][]Rule) {
	rows, rules, _ := ix.exclusionsAll(anchors, positives, threads, 0)
	return rows, rules
}

// exclusionsAll is ExclusionsAll that gives up, returning ok false, once
// more than maxHits rows are found in all (0: no limit).
func (ix *Index) exclusionsAll(anchors []int32, positives [][]int32, threads int, maxHits int64) (rows [][]int32, rules [][]Rule, ok bool) {
	if len(positives) != len(anchors) {
		panic("guard: anchors and positives differ in length")
	}
	rows = make([][]int32, len(anchors))
	rules = make([][]Rule, len(anchors))
	if threads < 1 {
		threads = runtime.GOMAXPROCS(0)
	}
	// Fixed blocks of anchors, handed out in order; each block writes only
	// its own slots.
	const block = 256
	nBlocks := (len(anchors) + block - 1) / block
	threads = min(threads, nBlocks)
	var found atomic.Int64
	runBlock := func(s *searcher, b int) bool {
		var n int64
		for i := b * block; i < min((b+1)*block, len(anchors)); i++ {
			rows[i], rules[i] = ix.exclusions(s, anchors[i], positives[i])
			n += int64(len(rows[i]))
		}
		return maxHits <= 0 || found.Add(n) <= maxHits
	}
	if threads <= 1 {
		s := ix.pool.Get().(*searcher)
		defer ix.pool.Put(s)
		for b := range nBlocks {
			if !runBlock(s, b) {
				return nil, nil, false
			}
		}
		return rows, rules, true
	}
	var (
		wg   sync.WaitGroup
		next = make(chan int, nBlocks)
		stop atomic.Bool
	)
	for b := range nBlocks {
		next <- b
	}
	close(next)
	for range threads {
		wg.Go(func() {
			s := ix.pool.Get().(*searcher)
			for b := range next {
				if stop.Load() || !runBlock(s, b) {
					stop.Store(true)
				}
			}
			ix.pool.Put(s)
		})
	}
	wg.Wait()
	if stop.Load() {
		return nil, nil, false
	}
	return rows, rules, true
}

func (ix *Index) exclusions(s *searcher, anchor int32, positives []int32) ([]int32, []Rule) {
	s.touched = s.touched[:0]
	s.mark[anchor] = self
	for _, p := range positives {
		s.mark[p] = self
	}
	r := ix.rules
	if r.Normalized {
		ix.queryNormalized(s, anchor)
		for _, p := range positives {
			ix.queryNormalized(s, p)
		}
	}
	if r.Contains > 0 {
		ix.queryContains(s, anchor)
		for _, p := range positives {
			ix.queryContains(s, p)
		}
	}
	if r.EditDistance > 0 {
		ix.queryEdit(s, anchor)
		for _, p := range positives {
			ix.queryEdit(s, p)
		}
	}
	slices.Sort(s.touched)
	var (
		rows  []int32
		rules []Rule
	)
	if len(s.touched) > 0 {
		rows = make([]int32, len(s.touched))
		rules = make([]Rule, len(s.touched))
		for i, row := range s.touched {
			rows[i] = row
			rules[i] = s.mark[row]
			s.mark[row] = 0
		}
	}
	s.mark[anchor] = 0
	for _, p := range positives {
		s.mark[p] = 0
	}
	return rows, rules
}

// hit records that rule matched row, unless an earlier rule already did.
func (s *searcher) hit(row int32, rule Rule) {
	switch m := s.mark[row]; {
	case m == 0:
		s.mark[row] = rule
		s.touched = append(s.touched, row)
	case m != self && rule < m:
		s.mark[row] = rule
	}
}

func (ix *Index) groupRows(form string) []int32 {
	g, ok := ix.byNorm[form]
	if !ok {
		return nil
	}
	return ix.gRows[ix.groups[g]:ix.groups[g+1]]
}

func (ix *Index) queryNormalized(s *searcher, q int32) {
	if ix.norms[q] == "" {
		return
	}
	for _, row := range ix.groupRows(ix.norms[q]) {
		s.hit(row, RuleNormalized)
	}
}

func (ix *Index) queryContains(s *searcher, q int32) {
	form := ix.norms[q]
	minRunes := ix.rules.Contains
	if int(ix.runes[q]) < minRunes {
		// Neither half can match: every term inside q is shorter than
		// minRunes, and q itself is too short to count.
		return
	}
	// Terms inside q: every substring of at least minRunes runes. Byte
	// offsets of rune starts, then all [i, j) with j-i >= minRunes.
	var offs [64]int
	at := offs[:0]
	for i := range form {
		at = append(at, i)
	}
	at = append(at, len(form))
	n := len(at) - 1
	for i := 0; i+minRunes <= n; i++ {
		for j := i + minRunes; j <= n; j++ {
			for _, row := range ix.groupRows(form[at[i]:at[j]]) {
				s.hit(row, RuleContains)
			}
		}
	}
	// Terms around q.
	for _, off := range ix.text.Lookup([]byte(form), -1) {
		row := sort.Search(len(ix.starts)-1, func(r int) bool { return int(ix.starts[r+1]) > off })
		s.hit(int32(row), RuleContains)
	}
}

func (ix *Index) queryEdit(s *searcher, q int32) {
	qr := ix.rn[q]
	if qr == nil { // shorter than EditMinRunes
		return
	}
	k := ix.rules.EditDistance
	s.cur++
	if s.cur == 0 { // wrapped: old stamps could collide
		clear(s.stamp)
		s.cur = 1
	}
	s.hs = s.del.variants(ix.seed, qr, k, s.hs[:0])
	for _, h := range s.hs {
		i, ok := slices.BinarySearch(ix.delKeys, h)
		if !ok {
			continue
		}
		for _, row := range ix.delRows[ix.delOffs[i]:ix.delOffs[i+1]] {
			if s.stamp[row] == s.cur {
				continue
			}
			s.stamp[row] = s.cur
			if m := s.mark[row]; m != 0 { // self, or an earlier rule
				continue
			}
			if withinDistance(qr, ix.rn[row], k, s.row) {
				s.hit(row, RuleEditDistance)
			}
		}
	}
}

func workers() int { return max(1, runtime.GOMAXPROCS(0)) }
