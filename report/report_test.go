package report_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hardneg/hardneg/format"
	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/report"
	"github.com/hardneg/hardneg/split"
	"github.com/hardneg/hardneg/synth"
)

var update = flag.Bool("update", false, "rewrite the example charts in ../docs")

// mineDemo writes the demo data set into a temporary folder and mines it
// there, as `hardneg demo` does.
func mineDemo(t *testing.T) string {
	t.Helper()
	d, err := synth.Generate(synth.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := d.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := mine.Run(context.Background(), mine.DefaultSettings(dir), mine.Hooks{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestStatsNameMatchesMine(t *testing.T) {
	if report.StatsName != mine.StatsFile {
		t.Errorf("report reads %q, mine writes %q", report.StatsName, mine.StatsFile)
	}
}

// Colours each chart must show in bulk: the bands' fills and the mix bars.
var (
	green    = color.RGBA{0x2c, 0xa0, 0x2c, 0xff}
	orange   = color.RGBA{0xff, 0x7f, 0x0e, 0xff}
	red      = color.RGBA{0xd6, 0x27, 0x28, 0xff}
	light    = color.RGBA{0xae, 0xc7, 0xe8, 0xff}
	dark     = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
	mustShow = map[string][]color.RGBA{
		report.SimilarityChart: {green, orange, red},
		report.MixChart:        {light, dark},
		report.PositivesChart:  {dark},
	}
)

func TestWrite(t *testing.T) {
	dir := mineDemo(t)
	out := filepath.Join(t.TempDir(), "charts", "new") // Write creates it
	const w, h = 640, 360
	paths, err := report.Write(dir, out, report.Options{Width: w, Height: h})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, name := range report.Charts {
		want = append(want, filepath.Join(out, name))
	}
	if !slices.Equal(paths, want) {
		t.Fatalf("Write returned %q, want %q", paths, want)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(report.Charts) {
		t.Errorf("%s holds %d entries, want only the %d charts", out, len(entries), len(report.Charts))
	}
	for _, name := range report.Charts {
		t.Run(name, func(t *testing.T) {
			img := decode(t, filepath.Join(out, name))
			checkChart(t, img, w, h)
			for _, c := range mustShow[name] {
				if n := countColour(img, c); n < 200 {
					t.Errorf("colour %v fills %d pixels, want at least 200", c, n)
				}
			}
		})
	}
}

func TestWriteDefaultSize(t *testing.T) {
	dir := mineDemo(t)
	paths, err := report.Write(dir, dir, report.Options{})
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, paths[0])
	if b := img.Bounds(); b.Dx() != report.DefaultWidth || b.Dy() != report.DefaultHeight {
		t.Errorf("size %v, want %d x %d", b.Size(), report.DefaultWidth, report.DefaultHeight)
	}
}

func decode(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

// checkChart checks the size and that something was drawn: text and lines
// give many colours through anti-aliasing, bars give area.
func checkChart(t *testing.T, img image.Image, w, h int) {
	t.Helper()
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		t.Fatalf("size %d x %d, want %d x %d", b.Dx(), b.Dy(), w, h)
	}
	colours := map[color.RGBA]bool{}
	inked := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			colours[c] = true
			if c != (color.RGBA{0xff, 0xff, 0xff, 0xff}) {
				inked++
			}
		}
	}
	if len(colours) < 16 {
		t.Errorf("%d distinct colours, want at least 16", len(colours))
	}
	if share := float64(inked) / float64(w*h); share < 0.05 || share > 0.9 {
		t.Errorf("%.1f%% of the pixels are not background, want 5%% to 90%%", 100*share)
	}
}

func countColour(img image.Image, c color.RGBA) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.RGBAModel.Convert(img.At(x, y)).(color.RGBA) == c {
				n++
			}
		}
	}
	return n
}

const (
	goodLine  = `{"anchor": "a", "positive": "p", "negative": "n", "negative_similarity": 0.4, "difficulty": "easy"}`
	goodStats = `{"config": {"easy_range": [0.3, 0.5], "easy_ratio": 1}}`
)

// writeOutput writes a hand-made mine output.
func writeOutput(t *testing.T, train, val, stats string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range map[string]string{"train_triplets.jsonl": train, "val_triplets.jsonl": val, mine.StatsFile: stats} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name       string
		train, val string
		stats      string
		opt        report.Options
		file       string // the file the error must name, "" for none
		want       string // text the error must hold
		is         error
	}{
		{
			name:  "malformed line",
			train: goodLine + "\n" + goodLine + "\n" + `{"anchor": "a", "positive": ` + "\n" + goodLine + "\n",
			stats: goodStats, file: "train_triplets.jsonl", want: "line 3: invalid mine output: unexpected end of JSON input", is: report.ErrInput,
		},
		{
			name:  "missing field in the validation file",
			train: goodLine + "\n", val: "\n" + `{"anchor": "a", "positive": "p", "negative": "n", "negative_similarity": 0.4}` + "\n",
			stats: goodStats, file: "val_triplets.jsonl", want: `line 2: invalid mine output: missing "difficulty"`, is: report.ErrInput,
		},
		{
			name:  "similarity not a number",
			train: `{"anchor": "a", "positive": "p", "negative": "n", "negative_similarity": "0.4", "difficulty": "easy"}`,
			stats: goodStats, file: "train_triplets.jsonl", want: "line 1: invalid mine output: json: cannot unmarshal string", is: report.ErrInput,
		},
		{
			name:  "not an object",
			train: goodLine + "\n[1, 2]\n",
			stats: goodStats, file: "train_triplets.jsonl", want: "line 2: invalid mine output", is: report.ErrInput,
		},
		{name: "no triplets", train: "\n", stats: goodStats, want: "hold no rows", is: report.ErrInput},
		{name: "no bands", train: goodLine, stats: `{"config": {}}`, file: mine.StatsFile, want: "no <band>_range", is: report.ErrInput},
		{name: "negative width", train: goodLine, stats: goodStats, opt: report.Options{Width: -1, Height: 10}, want: "chart size -1 x 10"},
		{name: "huge", train: goodLine, stats: goodStats, opt: report.Options{Width: 100000, Height: 10}, want: "chart size 100000 x 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeOutput(t, tt.train, tt.val, tt.stats)
			out := filepath.Join(dir, "charts")
			_, err := report.Write(dir, out, tt.opt)
			if err == nil {
				t.Fatal("no error")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("error %q does not hold %q", msg, tt.want)
			}
			if tt.file != "" && !strings.Contains(msg, filepath.Join(dir, tt.file)) {
				t.Errorf("error %q does not name %s", msg, filepath.Join(dir, tt.file))
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q does not wrap %v", msg, tt.is)
			}
			if msg != strings.ToLower(msg[:1])+msg[1:] {
				t.Errorf("error %q starts with a capital", msg)
			}
			if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("a failed Write left %s behind (stat: %v)", out, err)
			}
		})
	}
}

func TestWriteMissingFile(t *testing.T) {
	dir := writeOutput(t, goodLine, "", goodStats)
	if err := os.Remove(filepath.Join(dir, "val_triplets.jsonl")); err != nil {
		t.Fatal(err)
	}
	_, err := report.Write(dir, dir, report.Options{})
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "val_triplets.jsonl") {
		t.Errorf("error %v, want one naming %s and wrapping fs.ErrNotExist", err, "val_triplets.jsonl")
	}
}

// TestNotebookStats charts an output whose stats file has no mix section and
// a label the stats file does not name; the mix falls back to the ratios and
// the JSONL counts.
func TestNotebookStats(t *testing.T) {
	var lines []string
	for i, d := range []string{"easy", "hard", "hard", "odd"} {
		lines = append(lines, strings.NewReplacer(`"n"`, `"n`+string(rune('0'+i))+`"`, "easy", d, "0.4", []string{"0.4", "0.75", "0.8", "0.95"}[i]).Replace(goodLine))
	}
	stats := `{"config": {"easy_range": [0.3, 0.5], "hard_range": [0.7, 0.9], "easy_ratio": 0.5, "hard_ratio": 0.5}, "difficulty_distribution": {"easy": 1, "hard": 2}}`
	dir := writeOutput(t, strings.Join(lines, "\n"), "", stats)
	paths, err := report.Write(dir, dir, report.Options{Width: 400, Height: 300})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		checkChart(t, decode(t, p), 400, 300)
	}
}

// TestDocsCharts keeps the README's example charts, drawn from the demo data
// set. Regenerate them with
//
//	go test ./report/ -run TestDocsCharts -update
func TestDocsCharts(t *testing.T) {
	const w, h = 800, 450
	docs := filepath.Join("..", "docs")
	names := []string{report.SimilarityChart, report.MixChart}
	if *update {
		out := t.TempDir()
		if _, err := report.Write(mineDemo(t), out, report.Options{Width: w, Height: h}); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(docs, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range names {
			data, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(docs, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, name := range names {
		path := filepath.Join(docs, name)
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("%v; regenerate with: go test ./report/ -run TestDocsCharts -update", err)
		}
		checkChart(t, decode(t, path), w, h)
	}
}

// TestEveryFormat draws the charts from each format mine writes with
// scores, and refuses the runs it cannot read with a message that says how
// to mine instead.
func TestEveryFormat(t *testing.T) {
	data := t.TempDir()
	d, err := synth.Generate(synth.Config{Terms: 1500, Dim: 64, Anchors: 300, Seed: 5, DType: "<f4"})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.WriteDir(data); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		format     format.Name
		withScores bool
		refusal    string
	}{
		{format: format.NTuple, withScores: true},
		{format: format.LabeledList, withScores: true},
		{format: format.FlagEmbedding, withScores: true},
		{format: format.NTuple, refusal: "holds no similarities without --with-scores"},
		{format: format.LabeledPair, withScores: true, refusal: "does not tell which texts are positives"},
	} {
		t.Run(fmt.Sprintf("%s/scores=%v", tc.format, tc.withScores), func(t *testing.T) {
			s := mine.DefaultSettings(data)
			s.OutDir, s.Format, s.WithScores, s.SplitBy = t.TempDir(), tc.format, tc.withScores, split.ModeAnchor
			if _, err := mine.Run(context.Background(), s, mine.Hooks{}); err != nil {
				t.Fatal(err)
			}
			paths, err := report.Write(s.OutDir, t.TempDir(), report.Options{})
			if tc.refusal != "" {
				if !errors.Is(err, report.ErrInput) || !strings.Contains(err.Error(), tc.refusal) {
					t.Fatalf("error %v, want a refusal saying %q", err, tc.refusal)
				}
				return
			}
			if err != nil || len(paths) != len(report.Charts) {
				t.Fatalf("charts %v: %v", paths, err)
			}
		})
	}
}
