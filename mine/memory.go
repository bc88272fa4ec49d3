package mine

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/hardneg/hardneg/internal/sat"

	"github.com/hardneg/hardneg/scan"
	"github.com/hardneg/hardneg/source"
)

// MemoryPlan is how a run uses memory: what it holds whatever the corpus
// size (Fixed), and the corpus matrix, held whole (Resident) or streamed
// through the scan ChunkRows rows at a time. Total is the estimated peak.
type MemoryPlan struct {
	Fixed        int64 // everything but the corpus matrix
	Guards       int64 // the part of Fixed the guards take (their lists and indexes)
	CorpusMatrix int64 // the whole corpus matrix, as stored
	Resident     bool  // the corpus matrix fits and is held whole
	ChunkRows    int   // rows per chunk when streamed
	Total        int64
	// Budget is the limit the plan was made for, and From where it came.
	Budget int64
	From   string
}

// Sizes of a problem for the memory model.
type problemSize struct {
	queries, corpus, cols int   // rows of the two matrices (the same matrix in the synonym job), columns
	same                  bool  // the queries are the corpus
	anchors               int   // anchors scanned by this task
	positives             int   // their positives
	triplets              int64 // rows they will make, about
	corpusRows            int   // corpus rows this task scans
	textBytes             int64 // resident texts (a term list, the queries)
	guards                int64 // what the guards hold (guard.ExcludeBytes)
}

// planMemory is the memory model. Fixed holds: the anchors' query rows
// and, with the near-duplicate guard, their positives' rows (float32; none
// of either that a whole float32 corpus already holds), the resident texts
// and the corpus id hashes, the workers' blocks and tiles, each anchor's
// samples and window, the rows and the columns they are written from, the
// screen's int16 rows when the scan screens, and the Go runtime; then a
// tenth for the garbage collector. Without the screen the corpus matrix is
// held whole when Fixed plus it fit the budget; a screened scan holds it
// whole only when it is no larger than one screen part. Otherwise it is
// streamed in the largest chunk that fits (at least minChunkRows rows),
// and under the screen in chunks of at most a part; or in chunks of
// s.ChunkRows when it is set.
func planMemory(z problemSize, s Settings, threads int, budget int64) MemoryPlan {
	// Every product and sum saturates at math.MaxInt64 rather than wrap to
	// a negative size that a budget would accept.
	elem := int64(4)
	if s.Store == StoreF16 {
		elem = 2
	}
	cols := int64(z.cols)
	anchorRows := sat.Mul(sat.Mul(int64(z.anchors), cols), 4)
	// The positives' rows are held only for the near-duplicate guard;
	// otherwise each is read, used for its similarity and dropped.
	var posRows int64
	if s.NearDuplicates > 0 {
		posRows = sat.Mul(sat.Mul(int64(z.positives), cols), 4)
	}
	texts := sat.Add(sat.Add(sat.Mul(z.textBytes, 2), sat.Mul(int64(z.corpus), 8)), sat.Mul(int64(z.queries), 40))
	load := sat.Mul(sat.Mul(int64(threads), 1024*(4+8)), cols)
	scanBuf := sat.Mul(int64(threads), sat.Add(sat.Mul(cols, 256*4*2+48*4), 48*256*4))
	perAnchor := sat.Add(sat.Mul(int64(len(s.bands())), sat.Add(sat.Mul(int64(s.keep()), 12), 8)), sat.Add(sat.Mul(int64(max(s.RangeMin, s.RangeMax)), 12), 64))
	samples := sat.Mul(int64(z.anchors), perAnchor)
	rows := sat.Mul(z.triplets, 16+72)
	var screen int64 // the int16 copies of the anchors and of a part of the corpus
	screens := s.screens()
	if screens {
		screen = scan.ScreenMemory(z.anchors, z.corpusRows, z.cols, threads)
	}
	const runtime = 64 << 20 // the Go runtime, maps, small tables
	var fixed int64
	for _, part := range []int64{anchorRows, posRows, texts, load, scanBuf, samples, rows, screen, z.guards, runtime} {
		fixed = sat.Add(fixed, part)
	}
	fixed = sat.Add(fixed, fixed/10)
	p := MemoryPlan{Fixed: fixed, Guards: z.guards, CorpusMatrix: sat.Mul(sat.Mul(int64(z.corpusRows), cols), elem), Budget: budget}
	rowBytes := cols * elem
	rowBytes += rowBytes / 10
	whole := sat.Add(p.CorpusMatrix, p.CorpusMatrix/10)
	// A whole corpus held in float32 serves the positives' rows, and in
	// the synonym job the anchors' rows too (prepare points into it).
	fixedResident := fixed
	if elem == 4 && z.corpusRows == z.corpus && fixed < math.MaxInt64 { // a saturated size stays so
		shared := posRows
		if z.same {
			shared = sat.Add(shared, anchorRows)
		}
		fixedResident = max(0, fixed-sat.Add(shared, shared/10))
	}
	// A screened scan quantises the corpus a part at a time and needs the
	// float32 rows only for its few re-checks, so a corpus larger than one
	// part is streamed in chunks of a part: holding it whole would cost
	// memory and save no time.
	screenChunk := z.corpusRows
	if screens {
		screenChunk = max(minChunkRows, scan.ScreenChunkRows(z.cols))
	}
	switch {
	case s.ChunkRows > 0 && s.ChunkRows < z.corpusRows: // forced
		p.ChunkRows = s.ChunkRows
		p.Total = sat.Add(fixed, sat.Mul(int64(p.ChunkRows), rowBytes))
	case screenChunk >= z.corpusRows && (budget <= 0 || sat.Add(fixedResident, whole) <= budget):
		p.Resident, p.ChunkRows, p.Fixed = true, z.corpusRows, fixedResident
		p.Total = sat.Add(fixedResident, whole)
	default:
		p.ChunkRows = screenChunk
		if budget > 0 {
			p.ChunkRows = int(min(max(0, budget-fixed)/max(rowBytes, 1), int64(screenChunk)))
		}
		p.Total = sat.Add(fixed, sat.Mul(int64(p.ChunkRows), rowBytes))
	}
	return p
}

// minChunkRows is the smallest chunk worth streaming: below it the per-chunk
// work of every anchor block costs more than the chunk's scan.
const minChunkRows = 2048

// EstimateMemory is the peak memory a run with these sizes needs when its
// corpus matrix is held whole, in bytes.
func EstimateMemory(queryRows, rows, cols int, separateQueries bool, anchors []source.Anchor, s Settings, threads int) int64 {
	z := sizesOf(queryRows, rows, cols, !separateQueries, anchors, s, 0)
	z.corpusRows = rows
	return planMemory(z, s, threads, 0).Total
}

// sizesOf gathers the sizes planMemory needs.
func sizesOf(queryRows, corpusRows, cols int, same bool, anchors []source.Anchor, s Settings, textBytes int64) problemSize {
	z := problemSize{queries: queryRows, corpus: corpusRows, cols: cols, same: same, anchors: len(anchors),
		triplets: estimateTriplets(anchors, s.NegativesPerAnchor), corpusRows: corpusRows, textBytes: textBytes}
	for _, a := range anchors {
		z.positives += len(a.Positives)
	}
	return z
}

func estimateTriplets(anchors []source.Anchor, n int) int64 {
	var t int64
	for _, a := range anchors {
		t = sat.Add(t, sat.Mul(int64(len(a.Positives)), int64(n)))
	}
	return t
}

// AvailableMemory is what a run takes for its budget without MaxMemory:
// MemAvailable from /proc/meminfo, or 0 where it cannot be read.
func AvailableMemory() int64 { return availableMemory() }

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
