package mine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hardneg/hardneg/output"
	"github.com/hardneg/hardneg/synth"
)

func smallData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := synth.DefaultConfig()
	cfg.Terms, cfg.Anchors = 1500, 300
	d, err := synth.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestCancelledRunLeavesOutputsAlone cancels a forced rerun in the middle of
// the scan and checks that the earlier outputs and nothing else remain.
func TestCancelledRunLeavesOutputsAlone(t *testing.T) {
	data := smallData(t)
	cfg := DefaultSettings(data)
	if _, err := Run(context.Background(), cfg, Hooks{}); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(filepath.Join(data, cfg.Spec().TrainJSONL))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.Force = true
	cfg.Seed = 7 // a different result, were it written
	cfg.Threads = 1
	_, err = Run(ctx, cfg, Hooks{ScanProgress: func(int) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	after, err := os.ReadFile(filepath.Join(data, cfg.Spec().TrainJSONL))
	if err != nil || string(after) != string(before) {
		t.Fatalf("the earlier output changed (%v)", err)
	}
	entries, _ := os.ReadDir(data)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), output.StagingPrefix) {
			t.Fatalf("staging folder %s left behind", e.Name())
		}
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*Settings)
		msg    string
	}{
		{"ratios", func(c *Settings) { c.Bands[2].Ratio = 0.5 }, "sum to"},
		{"overlap", func(c *Settings) { c.Bands[1].Lo = 0.4 }, "overlap"},
		{"window", func(c *Settings) { c.RangeMin, c.RangeMax = 5, 8 }, "only 3 candidates"},
		{"lexical on documents", func(c *Settings) {
			c.Inputs = Inputs{Corpus: "c", CorpusEmbeddings: "e", Queries: "q", QueryEmbeddings: "f", Qrels: "r"}
			c.Lexical.Normalized = true
		}, "for documents use --exclude-near-duplicates"},
		{"mixed inputs", func(c *Settings) { c.Inputs.Corpus = "c" }, "no corpus embeddings path"},
		{"grouped format by row", func(c *Settings) { c.Format = "ntuple" }, "split by anchor or component"},
		{"empty band", func(c *Settings) { c.Bands[0].Hi = 0.3 }, "is empty"},
		{"out of range", func(c *Settings) { c.Bands[2].Hi = 1.5 }, "outside"},
		{"bad name", func(c *Settings) { c.Bands[0].Name = "e asy" }, "name"},
		{"duplicate name", func(c *Settings) { c.Bands[1].Name = "easy" }, "twice"},
		{"negatives", func(c *Settings) { c.NegativesPerAnchor = 0 }, "at least 1"},
		{"split", func(c *Settings) { c.ValRatio = 0.2 }, "sum to 1"},
		{"threads", func(c *Settings) { c.Threads = -1 }, "threads"},
		{"no output", func(c *Settings) { c.OutDir = "" }, "no output path"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultSettings("d")
			tc.change(&cfg)
			err := cfg.Validate()
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("error %v, want ErrConfig mentioning %q", err, tc.msg)
			}
		})
	}
	cfg := DefaultSettings("d")
	if err := cfg.Validate(); err != nil {
		t.Fatalf("the default config is refused: %v", err)
	}
}

// TestTimerMovesChunkLoading wants the time a streamed scan spent loading
// its chunks moved from the scan's stage to the loading stage, so that
// the stats file (and bench/plan-calibrate.sh, which fits the cost
// model's load speed to it) sees all of the loading.
func TestTimerMovesChunkLoading(t *testing.T) {
	tm := &timer{stages: Object{{"read_terms_and_pairs", 0.25}, {"load_embeddings", 0.5}, {"scan", 4.0}}}
	tm.move("scan", "load_embeddings", 1500*time.Millisecond)
	want := Object{{"read_terms_and_pairs", 0.25}, {"load_embeddings", 2.0}, {"scan", 2.5}}
	if !reflect.DeepEqual(tm.stages, want) {
		t.Errorf("stages %v, want %v", tm.stages, want)
	}
}
