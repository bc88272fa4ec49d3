//go:build unix

package main

import (
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/hardneg/hardneg/mine"
)

// TestMemoryCapHolds runs hardneg as a child under --max-memory and checks
// its peak resident memory stays under the cap: the estimate covers the
// guards, and the garbage collector is held under the cap. A star of 6,000
// leaves under hops:2 peaked at 320 MiB under a 100 MiB cap before. With
// HARDNEG_SLOW_TESTS=1 it also runs the review's cases at full size: a
// star of 20,000 leaves (3.3 GB peak before) under 2 GiB, and edit
// distance 2 over 150,000 terms under 600 MiB.
func TestMemoryCapHolds(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("ru_maxrss is in kilobytes on Linux only")
	}
	bin := hardnegBinary(t)
	type run struct {
		name string
		data func(t *testing.T) string
		args []string
		cap  string
	}
	runs := []run{{"star of 6000, hops:2", func(t *testing.T) string { return starData(t, 6000, 2000) }, []string{"--exclude", "hops:2"}, "300MiB"}}
	if slowTests {
		runs = append(runs,
			run{"star of 20000, hops:2", func(t *testing.T) string { return starData(t, 20000, 2000) }, []string{"--exclude", "hops:2"}, "2GiB"},
			run{"edit distance 2", func(t *testing.T) string {
				return synthData(t, "--terms", "150000", "--dim", "8", "--anchors", "28000")
			}, []string{"--exclude-edit-distance", "2"}, "600MiB"})
	}
	for _, tc := range runs {
		t.Run(tc.name, func(t *testing.T) {
			limit, err := mine.ParseBytes(tc.cap)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, append([]string{"mine", "--data-dir", tc.data(t), "--out", t.TempDir(), "-q", "--max-memory", tc.cap}, tc.args...)...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			peak := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
			t.Logf("peak %s under a cap of %s", mine.FormatBytes(peak), tc.cap)
			if peak > limit {
				t.Errorf("peak %s exceeds --max-memory %s\n%s", mine.FormatBytes(peak), tc.cap, strings.TrimSpace(string(out)))
			}
		})
	}
}
