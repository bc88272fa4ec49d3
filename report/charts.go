package report

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// bandColors colour the bands in order: the notebook's easy, medium and hard
// as green, orange and red, then further bands; labels in the JSONL that the
// stats file does not name come after the bands.
var bandColors = []color.RGBA{
	{0x2c, 0xa0, 0x2c, 0xff}, // green
	{0xff, 0x7f, 0x0e, 0xff}, // orange
	{0xd6, 0x27, 0x28, 0xff}, // red
	{0x94, 0x67, 0xbd, 0xff}, // purple
	{0x8c, 0x56, 0x4b, 0xff}, // brown
	{0xe3, 0x77, 0xc2, 0xff}, // pink
	{0x17, 0xbe, 0xcf, 0xff}, // cyan
	{0xbc, 0xbd, 0x22, 0xff}, // olive
	{0x7f, 0x7f, 0x7f, 0xff}, // grey
}

// Mix bar colours: target light, achieved dark.
var (
	targetColor   = color.RGBA{0xae, 0xc7, 0xe8, 0xff}
	achievedColor = color.RGBA{0x1f, 0x77, 0xb4, 0xff}
)

func bandColor(i int) color.RGBA { return bandColors[i%len(bandColors)] }

// series is one difficulty label as charted: a band from the stats file, or
// a label only the JSONL has (no range).
type series struct {
	Name   string
	Band   *band // nil for a label the stats file does not name
	Tally  int   // index in tally.Labels, or -1 when no line has the label
	Colour color.RGBA
}

// seriesOf lists the stats file's bands in order, then labels that only the
// JSONL files use, in first-seen order.
func seriesOf(st *stats, t *tally) []series {
	var out []series
	named := map[string]bool{}
	for i := range st.Bands {
		b := &st.Bands[i]
		named[b.Name] = true
		out = append(out, series{Name: b.Name, Band: b, Tally: t.labelIndex(b.Name)})
	}
	for i, l := range t.Labels {
		if !named[l] {
			out = append(out, series{Name: l, Tally: i})
		}
	}
	for i := range out {
		out[i].Colour = bandColor(i)
	}
	return out
}

func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.Padding = vg.Points(6)
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(11)
	p.Legend.XOffs = -vg.Points(6)
	p.Legend.YOffs = -vg.Points(2)
	return p
}

// similarityPlot draws the histogram of distinct (anchor, negative)
// similarities, stacked by band, with dashed lines at the band edges.
func similarityPlot(st *stats, t *tally) (*plot.Plot, error) {
	ss := seriesOf(st, t)
	p := newPlot("Similarity of the sampled negatives to their anchor\n" +
		"each distinct (anchor, negative) counted once, not once per positive")
	p.X.Label.Text = "cosine similarity (dashed lines: band edges)"
	p.Y.Label.Text = "negatives"

	// Stack the bands: bin i of series k reaches the sum of series 0..k, and
	// drawing the top of the stack first lets each lower series paint over
	// its share. Bands do not overlap, so a bin holds one band unless a band
	// edge is not a multiple of the bin width.
	var cum [numBins]int
	hists := make([]*plotter.Histogram, len(ss))
	counts := make([]int, len(ss))
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		if s.Band != nil {
			lo, hi = math.Min(lo, s.Band.Lo), math.Max(hi, s.Band.Hi)
		}
	}
	top := 0
	for k, s := range ss {
		h := &plotter.Histogram{FillColor: s.Colour, Width: 1.0 / binsPerUnit}
		h.LineStyle.Width = 0
		if s.Tally >= 0 {
			for i, n := range t.Hist[s.Tally] {
				if n == 0 {
					continue
				}
				cum[i] += n
				counts[k] += n
				h.Bins = append(h.Bins, plotter.HistogramBin{Min: binLo(i), Max: binLo(i + 1), Weight: float64(cum[i])})
				lo, hi = math.Min(lo, binLo(i)), math.Max(hi, binLo(i+1))
				top = max(top, cum[i])
			}
		}
		hists[k] = h
	}
	for k := len(ss) - 1; k >= 0; k-- {
		if len(hists[k].Bins) > 0 {
			p.Add(hists[k])
		}
	}
	for k, s := range ss {
		label := fmt.Sprintf("%s: %s negatives", s.Name, Thousands(counts[k]))
		if s.Band != nil {
			label = fmt.Sprintf("%s [%s, %s): %s negatives", s.Name, num(s.Band.Lo), num(s.Band.Hi), Thousands(counts[k]))
		}
		p.Legend.Add(label, hists[k])
	}

	ymax := math.Max(1, float64(top)) * 1.3 // room for the legend
	p.Y.Min, p.Y.Max = 0, ymax
	pad := 0.02 * (hi - lo)
	p.X.Min, p.X.Max = lo-pad, hi+pad

	// Band edges: dashed lines, and the only labelled ticks on the x axis.
	var edges []float64
	for _, s := range ss {
		if s.Band == nil {
			continue
		}
		for _, e := range []float64{s.Band.Lo, s.Band.Hi} {
			if len(edges) == 0 || edges[len(edges)-1] != e {
				edges = append(edges, e)
			}
		}
	}
	for _, e := range edges {
		l, err := plotter.NewLine(plotter.XYs{{X: e, Y: 0}, {X: e, Y: ymax}})
		if err != nil {
			return nil, err
		}
		l.LineStyle = draw.LineStyle{Color: color.Gray{0x55}, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}
		p.Add(l)
	}
	p.X.Tick.Marker = edgeTicks(edges, p.X.Min, p.X.Max)
	return p, nil
}

// edgeTicks labels the band edges and puts unlabelled minor ticks every 0.05.
func edgeTicks(edges []float64, lo, hi float64) plot.ConstantTicks {
	var ticks plot.ConstantTicks
	for _, e := range edges {
		ticks = append(ticks, plot.Tick{Value: e, Label: num(e)})
	}
	for v := math.Ceil(lo*20) / 20; v <= hi; v += 0.05 {
		v = math.Round(v*20) / 20
		minor := true
		for _, e := range edges {
			if math.Abs(e-v) < 1e-9 {
				minor = false
			}
		}
		if minor {
			ticks = append(ticks, plot.Tick{Value: v})
		}
	}
	return ticks
}

// mixPlot draws target and achieved percent per band as grouped bars. The
// values come from the stats file's mix section; a file without one (the
// notebook's) falls back to the <band>_ratio settings and the JSONL counts.
func mixPlot(st *stats, t *tally, opt Options) (*plot.Plot, error) {
	ss := seriesOf(st, t)
	total := st.Total
	if total == 0 {
		total = t.Lines
	}
	sub := Thousands(total) + " triplets"
	if st.Quota != "" {
		sub = st.Quota + " quota, " + sub
	}
	p := newPlot("Difficulty mix: target vs achieved\n" + sub)
	p.Y.Label.Text = "share of triplets (%)"

	target := make(plotter.Values, len(ss))
	achieved := make(plotter.Values, len(ss))
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.Name
		if s.Band != nil {
			names[i] += fmt.Sprintf(" [%s, %s)", num(s.Band.Lo), num(s.Band.Hi))
		}
		n := 0
		if s.Tally >= 0 {
			n = t.Triplets[s.Tally]
		}
		names[i] += "\n" + Thousands(n) + " triplets"
		if v, ok := st.Target[s.Name]; ok {
			target[i] = v
		} else if s.Band != nil && !math.IsNaN(s.Band.Ratio) {
			target[i] = 100 * s.Band.Ratio
		}
		if v, ok := st.Achieved[s.Name]; ok {
			achieved[i] = v
		} else if s.Tally >= 0 {
			achieved[i] = 100 * float64(t.Triplets[s.Tally]) / float64(t.Lines)
		}
	}

	// Two bars to a group, together half of the group's slot.
	w := canvasWidth(opt) * 0.8 / vg.Length(len(ss)) * 0.25
	top := 1.0
	for i, v := range []plotter.Values{target, achieved} {
		bars, err := plotter.NewBarChart(v, w)
		if err != nil {
			return nil, err
		}
		bars.LineStyle.Width = 0
		bars.Color = []color.Color{targetColor, achievedColor}[i]
		bars.Offset = []vg.Length{-w / 2, w / 2}[i]
		p.Add(bars)
		p.Legend.Add([]string{"target", "achieved"}[i], bars)

		lab := plotter.XYLabels{}
		for j, x := range v {
			lab.XYs = append(lab.XYs, plotter.XY{X: float64(j), Y: x})
			lab.Labels = append(lab.Labels, strconv.FormatFloat(x, 'f', 1, 64))
			top = math.Max(top, x)
		}
		labels, err := plotter.NewLabels(lab)
		if err != nil {
			return nil, err
		}
		for j := range labels.TextStyle {
			labels.TextStyle[j].XAlign = text.XCenter
			labels.TextStyle[j].YAlign = text.YBottom
		}
		labels.Offset = vg.Point{X: bars.Offset, Y: vg.Points(2)}
		p.Add(labels)
	}
	p.NominalX(names...)
	p.Y.Min, p.Y.Max = 0, top*1.35 // room for the value labels and the legend
	return p, nil
}

// positivesPlot draws how many anchors have each number of distinct
// positives: one bar per count, or per run of counts when the longest list
// is long.
func positivesPlot(t *tally) (*plot.Plot, error) {
	counts := t.positives()
	maxK, anchors, sum := 0, 0, 0
	for k, n := range counts {
		maxK = max(maxK, k)
		anchors += n
		sum += k * n
	}
	p := newPlot(fmt.Sprintf("Positives per anchor\n%s anchors with triplets, mean %.2f, most %d",
		Thousands(anchors), float64(sum)/float64(max(anchors, 1)), maxK))
	p.X.Label.Text = "distinct positives of the anchor"
	p.Y.Label.Text = "anchors"

	step := max(1, (maxK+39)/40) // at most 40 bars
	h := &plotter.Histogram{FillColor: achievedColor, Width: float64(step)}
	h.LineStyle = draw.LineStyle{Color: color.White, Width: vg.Points(0.5)}
	top := 0
	for lo := 1; lo <= maxK; lo += step {
		n := 0
		for k := lo; k < lo+step; k++ {
			n += counts[k]
		}
		top = max(top, n)
		h.Bins = append(h.Bins, plotter.HistogramBin{Min: float64(lo) - 0.5, Max: float64(lo+step) - 0.5, Weight: float64(n)})
	}
	p.Add(h)
	p.Y.Min, p.Y.Max = 0, math.Max(1, float64(top))*1.08
	if maxK <= 25 {
		var ticks plot.ConstantTicks
		for k := 1; k <= maxK; k++ {
			ticks = append(ticks, plot.Tick{Value: float64(k), Label: strconv.Itoa(k)})
		}
		p.X.Tick.Marker = ticks
	}
	return p, nil
}

// spreadPlot draws, per band, how many anchors got how many of their
// negatives from it: the spread behind the mix, which an on-target mix can
// hide (some anchors all hard, others none). Anchors without any triplet
// (the stats file's skipped_anchors) count as having none from every band.
func spreadPlot(st *stats, t *tally, opt Options) (*plot.Plot, error) {
	ss := seriesOf(st, t)
	spreads := make([][]int, len(ss))
	maxK := 0
	for i, s := range ss {
		if s.Tally >= 0 {
			spreads[i] = t.spread(s.Tally)
		} else {
			spreads[i] = []int{len(t.anchors)}
		}
		spreads[i][0] += st.Skipped
		maxK = max(maxK, len(spreads[i])-1)
	}
	p := newPlot(fmt.Sprintf("Negatives per anchor from each band\n%s anchors", Thousands(len(t.anchors)+st.Skipped)))
	p.X.Label.Text = "negatives of the anchor from the band"
	p.Y.Label.Text = "anchors"
	w := canvasWidth(opt) * 0.8 / vg.Length(maxK+1) / vg.Length(len(ss)+1)
	top := 1.0
	for i, s := range ss {
		v := make(plotter.Values, maxK+1)
		for k, n := range spreads[i] {
			v[k] = float64(n)
			top = math.Max(top, float64(n))
		}
		bars, err := plotter.NewBarChart(v, w)
		if err != nil {
			return nil, err
		}
		bars.LineStyle.Width = 0
		bars.Color = s.Colour
		bars.Offset = (vg.Length(i) - vg.Length(len(ss)-1)/2) * w
		p.Add(bars)
		p.Legend.Add(s.Name, bars)
	}
	names := make([]string, maxK+1)
	for k := range names {
		names[k] = strconv.Itoa(k)
	}
	p.NominalX(names...)
	p.Y.Min, p.Y.Max = 0, top*1.25 // room for the legend
	return p, nil
}

// num spells a band edge briefly: 0.3, not 0.30000.
func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// Thousands spells n with comma separators: 13,020.
func Thousands(n int) string {
	s := strconv.Itoa(n)
	neg := n < 0
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}
