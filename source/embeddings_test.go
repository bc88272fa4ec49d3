package source

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hardneg/hardneg/npy"
)

// mappedKiB returns how much of the mapping of path is resident in this
// process, from /proc/self/smaps.
func mappedKiB(t *testing.T, path string) int {
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Skipf("no /proc/self/smaps: %v", err)
	}
	defer f.Close()
	total, in := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-"):
			in = fields[len(fields)-1] == path
		case in && fields[0] == "Rss:":
			n, _ := strconv.Atoi(fields[1])
			total += n
		}
	}
	return total
}

// TestEachRowHoldsAWindow reads a third of a 32 MiB matrix's rows, listed
// out of order and with repeats, and wants each row as loadRow gives it,
// at its index, and the pages behind the pass released: without that,
// rows scattered over the file map nearly all of it into the process
// (at seed scale the anchors' and positives' rows mapped 300 MB).
func TestEachRowHoldsAWindow(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc/self/smaps")
	}
	const rows, cols = 16384, 1024
	r := rand.New(rand.NewPCG(3, 4))
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = float32(r.NormFloat64())
	}
	path := filepath.Join(t.TempDir(), "e.npy")
	if err := npy.Write(path, rows, cols, data, npy.Float16); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, rows)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	e, err := OpenEmbeddings(path, newSide(ids, nil), "ids", "term")
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var list []int32
	for i := rows - 1; i >= 0; i -= 3 {
		list = append(list, int32(i))
		if i%7 == 0 {
			list = append(list, int32(i))
		}
	}
	got := make([][]float32, len(list))
	peak := 0
	err = e.EachRow(list, false, func(k int, row []float32) error {
		if got[k] != nil {
			return fmt.Errorf("index %d given twice", k)
		}
		got[k] = slices.Clone(row)
		if k%64 == 0 {
			peak = max(peak, mappedKiB(t, path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if limit := 2 * releaseBytes >> 10; peak > limit {
		t.Errorf("the pass held %d KiB of the %d KiB file mapped; want at most %d", peak, rows*cols*2>>10, limit)
	}
	if left := mappedKiB(t, path); left > 64 {
		t.Errorf("%d KiB of the file left mapped after the pass", left)
	}
	want := make([]float32, cols)
	for k, row := range list {
		if got[k] == nil {
			t.Fatalf("index %d (row %d) never given", k, row)
		}
		if err := e.loadRow(want, row, false); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got[k], want) {
			t.Fatalf("index %d: row %d differs from loadRow's", k, row)
		}
	}
	if err := e.EachRow([]int32{rows}, false, func(int, []float32) error { return nil }); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("row %d of %d: error %v, want one naming the file", rows, rows, err)
	}
}
