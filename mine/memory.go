package mine

import (
	"bufio"
	"cmp"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/hardneg/hardneg/guard"
	"github.com/hardneg/hardneg/source"
)

// EstimateMemory is the memory a run needs, in bytes: the stored matrices
// (the corpus, and the queries when they are a matrix of their own), the
// workers' blocks and tiles, the sampled candidates and windows, and the
// rows with the columns they are written from. Measured peaks sit below it:
// at seed scale (150,000 x 1024, 28,000 anchors) 717 MiB against an
// estimate of 785 MiB, and 432 MiB against 463 MiB with --store f16. It
// leaves out the texts and the guards, which estimateRun adds; every sum
// saturates at math.MaxInt64 rather than overflow.
func EstimateMemory(queryRows, rows, cols int, separateQueries bool, anchors []source.Anchor, s Settings, threads int) int64 {
	return estimate(queryRows, rows, cols, separateQueries, anchors, s, threads).Total()
}

// MemoryEstimate is what a run needs, part by part, in bytes.
type MemoryEstimate struct {
	Matrix, Load, Scan, Samples, Rows, Texts, Guards, Runtime int64
}

// Total is the sum, with a tenth more for the garbage collector.
func (m MemoryEstimate) Total() int64 {
	var t int64
	for _, p := range m.parts() {
		t = satAdd(t, p.n)
	}
	return satAdd(t, t/10)
}

type part struct {
	name string
	n    int64
}

func (m MemoryEstimate) parts() []part {
	return []part{{"matrix", m.Matrix}, {"loading", m.Load}, {"scan", m.Scan}, {"samples", m.Samples},
		{"rows", m.Rows}, {"texts", m.Texts}, {"guards", m.Guards}, {"runtime", m.Runtime}}
}

// String names the largest parts: "guards 3.4 GiB, matrix 586.0 MiB, ...".
func (m MemoryEstimate) String() string {
	ps := m.parts()
	slices.SortStableFunc(ps, func(a, b part) int { return cmp.Compare(b.n, a.n) })
	var out []string
	for _, p := range ps[:4] {
		out = append(out, p.name+" "+FormatBytes(p.n))
	}
	return strings.Join(out, ", ")
}

func estimate(queryRows, rows, cols int, separateQueries bool, anchors []source.Anchor, s Settings, threads int) MemoryEstimate {
	var m MemoryEstimate
	elem := int64(4)
	if s.Store == StoreF16 {
		elem = 2
	}
	m.Matrix = satMul(satMul(int64(rows), int64(cols)), elem)
	if separateQueries {
		m.Matrix = satAdd(m.Matrix, satMul(satMul(int64(queryRows), int64(cols)), elem))
	}
	// load: a 1024-row float32 buffer per worker, and as much of the mapped
	// file before it is released
	m.Load = satMul(satMul(int64(threads), 1024*(4+8)), int64(cols))
	// scan: a packed block of 256 anchors and a 48-candidate tile per worker
	m.Scan = satMul(int64(threads), satAdd(satMul(int64(cols), 256*4*2+48*4), 48*256*4))
	perAnchor := satAdd(satMul(int64(len(s.bands())), int64(s.keep())), int64(max(s.RangeMin, s.RangeMax)))
	m.Samples = satMul(satMul(int64(len(anchors)), perAnchor), 12)
	// a row is 16 bytes, its graph vertices 12 and its place in a split 8;
	// its output columns hold 3 string headers, a float64 and a label,
	// about 72 bytes, and more with ids and scores
	row := int64(16 + 12 + 8 + 72)
	if s.WithIDs {
		row += 48
	}
	if s.WithScores {
		row += 16
	}
	m.Rows = satMul(estimateTriplets(anchors, s.NegativesPerAnchor), row)
	m.Runtime = 64 << 20 // Go runtime, and buffers of the readers and writers
	return m
}

// estimateRun is the estimate of a run of the anchors in sel on the problem
// read into in, with comp its components: estimate, plus the texts and
// their indexes (already in memory when this is called, and counted so
// that the estimate is of the whole process) and the guards.
func estimateRun(in *inputs, comp []int32, sel []source.Anchor, s Settings, threads int) MemoryEstimate {
	p := in.problem
	m := estimate(in.queryEmb.Rows(), in.corpusEmb.Rows(), in.corpusEmb.Cols(), !p.Same(), sel, s, threads)
	sides := []*source.Side{p.Corpus}
	if !p.Same() {
		sides = append(sides, p.Queries)
	}
	for _, side := range sides {
		// ids and texts (headers, and the bytes when they differ), the
		// index map, the candidates' id hashes and component labels
		m.Texts = satAdd(m.Texts, satMul(int64(side.Len()), 16+16+64+8+4))
		for i, id := range side.IDs {
			m.Texts = satAdd(m.Texts, int64(len(id)))
			if t := side.Texts[i]; t != id {
				m.Texts = satAdd(m.Texts, int64(len(t)))
			}
		}
	}
	for _, a := range p.Anchors {
		// anchors and positives, their similarities, and the graph's links
		m.Texts = satAdd(m.Texts, satAdd(48, satMul(int64(len(a.Positives)), 4+4+8)))
	}
	m.Guards = guard.ExcludeBytes(p, s.Exclude, comp, s.Lexical, threads)
	return m
}

func estimateTriplets(anchors []source.Anchor, n int) int64 {
	var t int64
	for _, a := range anchors {
		t = satAdd(t, satMul(int64(len(a.Positives)), int64(n)))
	}
	return t
}

func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func satMul(a, b int64) int64 {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt64/b {
		return math.MaxInt64
	}
	return a * b
}

// availableMemory is MemAvailable from /proc/meminfo, or 0 where it cannot
// be read (then no limit applies unless MaxMemory sets one).
func availableMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// FormatBytes spells n with a binary unit: "734.2 MiB".
func FormatBytes(n int64) string {
	if n == math.MaxInt64 {
		return "more than 8 EiB"
	}
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}

// ParseBytes reads a size such as "512MiB", "8GB", "2g" or "1048576". Units
// are powers of 1024 whether or not they carry the i.
func ParseBytes(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToUpper(s))
	t = strings.TrimSuffix(strings.TrimSuffix(t, "B"), "I")
	mult := int64(1)
	if t != "" {
		switch t[len(t)-1] {
		case 'K':
			mult = 1 << 10
		case 'M':
			mult = 1 << 20
		case 'G':
			mult = 1 << 30
		case 'T':
			mult = 1 << 40
		}
		if mult > 1 {
			t = t[:len(t)-1]
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
	if err != nil || v < 0 || v*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("size %q: want a number with an optional unit such as 512MiB or 8GB", s)
	}
	return int64(v * float64(mult)), nil
}

// checkMemory refuses a run whose estimate exceeds --max-memory, or the
// available memory, before the embeddings or the guards take theirs. It
// returns what the estimate leaves of the limit (0: no limit), the budget
// of what the estimate cannot bound: the lexical guards' variants.
func checkMemory(in *inputs, comp []int32, sel []source.Anchor, s Settings, threads int, hooks Hooks) (int64, error) {
	m := estimateRun(in, comp, sel, s, threads)
	need := m.Total()
	limit, limitFrom := s.MaxMemory, "--max-memory"
	if limit == 0 {
		limit, limitFrom = availableMemory(), "available memory"
	}
	hooks.logf("memory: about %s needed (%s) for %d x %d embeddings stored as %s and about %d triplets",
		FormatBytes(need), m, in.corpusEmb.Rows(), in.corpusEmb.Cols(), s.Store, estimateTriplets(sel, s.NegativesPerAnchor))
	if limit <= 0 || need <= limit {
		// The estimate is of live memory. A soft limit for the Go runtime
		// makes the garbage collector work harder rather than let garbage
		// (the guards make much) take the process past the cap; it is set
		// a tenth under the cap for what the runtime does not count.
		if soft := limit - limit/10; limit > 0 && soft < debug.SetMemoryLimit(-1) {
			debug.SetMemoryLimit(soft)
		}
		if limit <= 0 {
			return 0, nil
		}
		return max(limit-need, 1), nil
	}
	var hints []string
	if m.Guards >= need/4 {
		hints = append(hints, "a narrower --exclude (hops:K with a smaller K) or fewer lexical guards (a smaller --exclude-edit-distance)")
	}
	if s.Store == StoreF32 && m.Matrix >= need/4 {
		hints = append(hints, "--store f16 (half the memory for the matrix)")
	}
	if m.Rows >= need/4 {
		hints = append(hints, "fewer --negatives-per-anchor")
	}
	hints = append(hints, "a machine with more memory")
	return 0, fmt.Errorf("%w: the run needs about %s (%s) but %s is %s; try %s",
		ErrMemory, FormatBytes(need), m, limitFrom, FormatBytes(limit), strings.Join(hints, ", or "))
}
