package report

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"

	"github.com/hardneg/hardneg/format"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Chart file names, written into the output folder.
const (
	SimilarityChart = "similarity.png" // similarity of the sampled negatives, per band
	MixChart        = "mix.png"        // target and achieved share of triplets per band
	PositivesChart  = "positives.png"  // anchors per number of positives
	SpreadChart     = "spread.png"     // anchors per number of negatives from each band
)

// Charts lists the files Write writes, in the order it returns them.
var Charts = []string{SimilarityChart, MixChart, PositivesChart, SpreadChart}

// ErrInput reports a mine output that cannot be charted: a bad JSONL line, a
// stats file without bands, or no triplets at all. Test with errors.Is.
var ErrInput = errors.New("invalid mine output")

// Defaults for the zero Options.
const (
	DefaultWidth  = 960
	DefaultHeight = 540
	DefaultDPI    = 96
)

// maxSide bounds Width and Height, so that a typo cannot ask for gigabytes.
const maxSide = 16384

// Options sets the size of every chart. The zero value gives
// DefaultWidth × DefaultHeight pixels at DefaultDPI.
type Options struct {
	// Width and Height are the size of each PNG in pixels.
	Width, Height int
	// DPI maps the charts' point sizes (fonts, lines) to pixels: a larger
	// DPI draws larger text on the same number of pixels.
	DPI int
}

func (o Options) withDefaults() (Options, error) {
	if o.Width == 0 && o.Height == 0 {
		o.Width, o.Height = DefaultWidth, DefaultHeight
	}
	if o.DPI == 0 {
		o.DPI = DefaultDPI
	}
	if o.Width <= 0 || o.Height <= 0 || o.Width > maxSide || o.Height > maxSide {
		return o, fmt.Errorf("report: chart size %d x %d pixels is not within 1 to %d", o.Width, o.Height, maxSide)
	}
	if o.DPI < 0 || o.DPI > 1200 {
		return o, fmt.Errorf("report: DPI %d is not within 1 to 1200", o.DPI)
	}
	return o, nil
}

// Write reads the mine outputs in dir (the stats file, and the JSONL files
// of the format it names: train_triplets.jsonl and val_triplets.jsonl for
// triplets) and writes the charts
// named in Charts into outDir, creating it if missing. It returns the paths
// written, in the order of Charts.
//
// The JSONL files are streamed once; memory grows with the number of anchors
// and their distinct positives and negatives, not with the number of lines.
// Each chart is written to a temporary file and renamed into place, so a
// failure never leaves half a PNG.
func Write(dir, outDir string, opt Options) ([]string, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	st, err := readStats(filepath.Join(dir, statsFile))
	if err != nil {
		return nil, err
	}
	if err := CanRead(st.Format, st.WithScores); err != nil {
		return nil, fmt.Errorf("report: %s: %w", dir, err)
	}
	spec := format.Lookup(st.Format)
	t := newTally()
	for _, name := range []string{spec.TrainJSONL, spec.ValJSONL} {
		if err := t.readJSONL(filepath.Join(dir, name), st); err != nil {
			return nil, err
		}
	}
	if t.Lines == 0 {
		return nil, fmt.Errorf("report: %s: %w: %s and %s hold no rows", dir, ErrInput, spec.TrainJSONL, spec.ValJSONL)
	}

	build := map[string]func() (*plot.Plot, error){
		SimilarityChart: func() (*plot.Plot, error) { return similarityPlot(st, t) },
		MixChart:        func() (*plot.Plot, error) { return mixPlot(st, t, opt) },
		PositivesChart:  func() (*plot.Plot, error) { return positivesPlot(t) },
		SpreadChart:     func() (*plot.Plot, error) { return spreadPlot(st, t, opt) },
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, fmt.Errorf("report: create chart folder: %w", err)
	}
	var paths []string
	for _, name := range Charts {
		p, err := build[name]()
		if err != nil {
			return paths, fmt.Errorf("report: draw %s: %w", name, err)
		}
		path := filepath.Join(outDir, name)
		if err := writePNG(path, p, opt); err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

// writePNG draws p on a canvas of exactly opt.Width × opt.Height pixels and
// writes it to path through a temporary file in the same folder.
func writePNG(path string, p *plot.Plot, opt Options) (err error) {
	img := image.NewRGBA(image.Rect(0, 0, opt.Width, opt.Height))
	c := vgimg.NewWith(vgimg.UseImage(img), vgimg.UseDPI(opt.DPI))
	m := vg.Points(8) // a margin, so that nothing touches the image edge
	p.Draw(draw.Crop(draw.New(c), m, -m, m, -m))

	f, err := os.CreateTemp(filepath.Dir(path), ".report-*.png")
	if err != nil {
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := png.Encode(f, c.Image()); err != nil {
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("report: write %s: %w", path, err)
	}
	return nil
}

// canvasWidth is the chart width in points, for sizing bars.
func canvasWidth(opt Options) vg.Length {
	return vg.Length(opt.Width) / vg.Length(opt.DPI) * vg.Inch
}
