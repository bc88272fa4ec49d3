package mine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardneg/hardneg/scan"
	"github.com/hardneg/hardneg/source"
)

func TestParseAndFormatBytes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{
		{"1048576", 1 << 20}, {"512MiB", 512 << 20}, {"512mb", 512 << 20}, {"8GB", 8 << 30}, {"2g", 2 << 30},
		{"1.5GiB", 3 << 29}, {" 64 K ", 64 << 10}, {"0", 0},
	} {
		got, err := ParseBytes(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "lots", "-1G", "1X", "1e30"} {
		if _, err := ParseBytes(bad); err == nil {
			t.Errorf("ParseBytes(%q) accepted", bad)
		}
	}
	for _, tc := range []struct {
		in   int64
		want string
	}{{512, "512 B"}, {1536, "1.5 KiB"}, {734 << 20, "734.0 MiB"}, {3 << 30, "3.0 GiB"}} {
		if got := FormatBytes(tc.in); got != tc.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestRunRefusesWhatWouldNotFit sets a memory cap below the estimate and
// checks the run stops before loading anything, with the estimate in the
// message, and leaves the output folder empty.
func TestRunRefusesWhatWouldNotFit(t *testing.T) {
	data := smallData(t)
	cfg := DefaultSettings(data)
	cfg.OutDir = filepath.Join(t.TempDir(), "out")
	cfg.MaxMemory = 1 << 20
	_, err := Run(context.Background(), cfg, Hooks{})
	if !errors.Is(err, ErrMemory) || !strings.Contains(err.Error(), "holds about") || !strings.Contains(err.Error(), "--max-memory is 1.0 MiB") {
		t.Fatalf("error %v, want ErrMemory with the estimate", err)
	}
	if _, err := os.Stat(cfg.OutDir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the refused run left the output folder it created (%v)", err)
	}
	cfg.MaxMemory = 1 << 40
	if _, err := Run(context.Background(), cfg, Hooks{}); err != nil {
		t.Fatalf("a generous cap refused the run: %v", err)
	}
}

// TestStatsRecordProvenance checks the inputs' sizes and hashes, the
// timings and the version in the stats file.
func TestStatsRecordProvenance(t *testing.T) {
	data := smallData(t)
	res, err := Run(context.Background(), DefaultSettings(data), Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(data, StatsFile))
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Inputs map[string]json.RawMessage `json:"inputs"`
		Timing map[string]float64         `json:"timings_seconds"`
		Tool   string                     `json:"tool"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"pairs", "terms", "embeddings"} {
		var fs FileStats
		if err := json.Unmarshal(st.Inputs[name], &fs); err != nil {
			t.Fatal(err)
		}
		content, err := os.ReadFile(fs.Path)
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(content)
		if fs.Bytes != int64(len(content)) || fs.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: recorded %d bytes %s, file has %d bytes %x", name, fs.Bytes, fs.SHA256, len(content), sum)
		}
	}
	for _, stage := range []string{"read_terms_and_pairs", "load_embeddings", "scan", "sample_and_split", "write_data", "total"} {
		if _, ok := st.Timing[stage]; !ok {
			t.Errorf("no timing for stage %s", stage)
		}
	}
	if !strings.HasPrefix(st.Tool, "hardneg ") || st.Tool != res.Stats.Tool {
		t.Errorf("tool %q", st.Tool)
	}
}

// TestEstimateMemoryNeverOverflows feeds the estimate sizes whose products
// overflow int64: it must saturate, never turn negative, so that such a run
// is refused rather than accepted.
func TestEstimateMemoryNeverOverflows(t *testing.T) {
	s := DefaultSettings("d")
	s.NegativesPerAnchor = math.MaxInt64
	s.MaxNegativeReuse = 1
	anchors := []source.Anchor{{Query: 0, Positives: make([]int32, 3)}, {Query: 1, Positives: make([]int32, 1<<20)}}
	for _, tc := range []struct {
		name             string
		rows, cols, thrs int
	}{
		{"huge -n", 10, 10, 1},
		{"huge matrix", math.MaxInt32, math.MaxInt32, 1},
		{"huge threads", 10, 1 << 40, 1 << 40},
	} {
		got := EstimateMemory(tc.rows, tc.rows, tc.cols, true, anchors, s, tc.thrs)
		if got <= 0 {
			t.Errorf("%s: estimate %d", tc.name, got)
		}
		if got != math.MaxInt64 {
			t.Errorf("%s: estimate %d, want it saturated", tc.name, got)
		}
	}
	if got := FormatBytes(math.MaxInt64); got != "more than 8 EiB" {
		t.Errorf("FormatBytes(MaxInt64) = %q", got)
	}
}

// TestScreenedScanStreamsTheCorpus wants a screened run to stream a corpus
// larger than one screen part in chunks of a part, even without a limit:
// the screen quantises a part at a time and needs float32 rows only for
// its re-checks, so a whole float32 corpus (586 MiB at seed scale) would
// be memory for nothing. Under --exact the corpus is held whole when it
// fits, and a small corpus is held whole either way. The positives' rows
// count only with the near-duplicate guard, which keeps them.
func TestScreenedScanStreamsTheCorpus(t *testing.T) {
	scan.ForceScreen(true)
	defer scan.ForceScreen(false)
	z := problemSize{queries: 150000, corpus: 150000, cols: 1024, same: true, anchors: 27467, positives: 61928, corpusRows: 150000}
	s := DefaultSettings(t.TempDir())
	part := scan.ScreenChunkRows(z.cols)
	p := planMemory(z, s, 2, 0)
	if p.Resident || p.ChunkRows != part {
		t.Errorf("screened, no limit: resident %v in %d-row chunks; want %d-row chunks", p.Resident, p.ChunkRows, part)
	}
	if whole := int64(z.corpusRows) * int64(z.cols) * 4; p.Total > whole {
		t.Errorf("screened plan %s, more than the float32 corpus alone (%s)", FormatBytes(p.Total), FormatBytes(whole))
	}
	if p := planMemory(z, s, 2, p.Total+100<<20); p.Resident || p.ChunkRows != part {
		t.Errorf("screened, a limit with room: resident %v in %d-row chunks; want %d-row chunks", p.Resident, p.ChunkRows, part)
	}
	if p := planMemory(z, s, 2, p.Fixed+int64(part/2)*1024*4*11/10); p.Resident || p.ChunkRows >= part || p.ChunkRows < part/3 {
		t.Errorf("screened, a tight limit: resident %v in %d-row chunks; want fewer rows than a part", p.Resident, p.ChunkRows)
	}
	exact := s
	exact.Exact = true
	if p := planMemory(z, exact, 2, 0); !p.Resident {
		t.Errorf("--exact, no limit: streamed in %d-row chunks; want the corpus held whole", p.ChunkRows)
	}
	small := z
	small.corpus, small.corpusRows = part, part
	if p := planMemory(small, s, 2, 0); !p.Resident {
		t.Errorf("screened, a corpus of one part: streamed in %d-row chunks; want it held whole", p.ChunkRows)
	}
	guarded := s
	guarded.NearDuplicates = 0.95
	pos := int64(z.positives) * int64(z.cols) * 4
	if got := planMemory(z, guarded, 2, 0).Fixed - p.Fixed; got < pos {
		t.Errorf("the near-duplicate guard adds %s to the fixed part; want at least the positives' rows, %s", FormatBytes(got), FormatBytes(pos))
	}
}
