package mine

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/hardneg/hardneg/source"
)

// EstimateMemory is the memory a run needs, in bytes: the stored matrices
// (the corpus, and the queries when they are a matrix of their own), the
// workers' blocks and tiles, the sampled candidates and windows, and the
// rows with the columns they are written from. Measured peaks sit below it:
// at seed scale (150,000 x 1024, 28,000 anchors) 717 MiB against an
// estimate of 785 MiB, and 432 MiB against 463 MiB with --store f16.
func EstimateMemory(queryRows, rows, cols int, separateQueries bool, anchors []source.Anchor, s Settings, threads int) int64 {
	elem := int64(4)
	if s.Store == StoreF16 {
		elem = 2
	}
	matrix := int64(rows) * int64(cols) * elem
	if separateQueries {
		matrix += int64(queryRows) * int64(cols) * elem
	}
	// load: a 1024-row float32 buffer per worker, and as much of the mapped
	// file before it is released
	load := int64(threads) * 1024 * int64(cols) * (4 + 8)
	// scan: a packed block of 256 anchors and a 48-candidate tile per worker
	scan := int64(threads) * (256*int64(cols)*4*2 + 48*int64(cols)*4 + 48*256*4)
	samples := int64(len(anchors)) * (int64(len(s.bands()))*int64(s.keep()) + int64(max(s.RangeMin, s.RangeMax))) * 12
	// a row is 16 bytes; its output columns hold 3 string headers, a
	// float64 and a label, about 72 bytes
	triplets := estimateTriplets(anchors, s.NegativesPerAnchor) * (16 + 72)
	const runtime = 64 << 20 // Go runtime, vocabulary, pairs
	total := matrix + load + scan + samples + triplets + runtime
	return total + total/10 // headroom for the garbage collector
}

func estimateTriplets(anchors []source.Anchor, n int) int64 {
	var t int64
	for _, a := range anchors {
		t += int64(len(a.Positives)) * int64(n)
	}
	return t
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
