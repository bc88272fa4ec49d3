package inspect

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// AdviceShare is the share of sampled anchors below a band's quota from
// which the report advises widening the band.
const AdviceShare = 0.2

// PositivesAdviceShare is the share of the positives inside a band from
// which the report warns that the band's negatives look like positives.
const PositivesAdviceShare = 0.25

// starveAdviceShare is the share of sampled anchors a ceiling may starve
// before the report advises loosening it.
const starveAdviceShare = 0.05

const barWidth = 40

// WriteText writes the report for a person to read: the two histograms, the
// band table, the ceiling's effect and advice.
func (r *Report) WriteText(w io.Writer) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }

	items := "documents"
	if r.Same {
		items = "terms"
	}
	p("Inspected %s of %s anchors (seed %d) against %s %s x %d dims, for %d negatives per anchor.\n",
		group(int64(len(r.Sample))), group(int64(r.Anchors)), r.Seed, group(int64(r.Corpus)), items, r.Dim, r.Negatives)

	p("\nSimilarity of each sampled anchor to its candidates (%s: every %s the guards leave it, before the score limits)\n",
		group(r.Candidates.Total()), strings.TrimSuffix(items, "s"))
	if r.NearDuplicates > 0 {
		p("  (the near-duplicate guard dropped %s more: %.1f per anchor)\n", group(r.NearDuplicates), perAnchor(r.NearDuplicates, len(r.Sample)))
	}
	r.writeHistogram(bw, r.Candidates)
	p("\nSimilarity of each sampled anchor to its positives (%s)\n", group(r.Positives.Total()))
	r.writeHistogram(bw, r.Positives)

	p("\nCandidates per band over the %d sampled anchors (quota = negatives x ratio per anchor)\n", len(r.Sample))
	writeBandTable(bw, r.Pools)
	writeOverall(bw, r.Negatives, len(r.Sample), r.Overall)

	if c := r.Limits; c != nil {
		p("\nScore limits: keep a candidate only if %s\n", c.describe())
		n := len(r.Sample)
		p("  they starve %d of %d sampled anchors (%s): they have candidates, but none left in any band",
			c.Starved, n, pct(c.Starved, n))
		if c.Empty > 0 {
			p(" (%d more have none even without them)", c.Empty)
		}
		p("\n  candidates they remove: ")
		for b, band := range r.Bands {
			if b > 0 {
				p(", ")
			}
			p("%s %s (%.1f per anchor)", band.Name, group(c.Removed[b]), perAnchor(c.Removed[b], n))
		}
		p("\n  within the limits:\n")
		writeBandTable(bw, c.Pools)
		writeOverall(bw, r.Negatives, n, c.Overall)
	}

	p("\nAdvice:\n")
	advice := r.Advice()
	if len(advice) == 0 {
		p("  no band is below its quota for %.0f%% or more of the anchors, and few positives lie inside a band; the bands look usable\n", 100*AdviceShare)
	}
	for _, a := range advice {
		p("  %s\n", a)
	}
	return bw.Flush()
}

// Advice returns one line per band that is below its quota for at least
// AdviceShare of the sampled anchors, and one for a ceiling that starves
// many of them.
func (r *Report) Advice() []string {
	var out []string
	for b, s := range r.Pools {
		if s.Quota <= 0 || s.ShortShare < AdviceShare {
			continue
		}
		// Widen the band towards the side where the candidates are.
		below, above := r.massOutside(b)
		hint := fmt.Sprintf("consider a lower %s-range LO", s.Name)
		if above > below {
			hint = fmt.Sprintf("consider a higher %s-range HI", s.Name)
		}
		out = append(out, fmt.Sprintf("%s: %.0f%% of anchors have fewer than %d candidates; %s",
			s.Name, 100*s.ShortShare, int(math.Ceil(s.Quota)), hint))
	}
	for b, share := range r.PositivesInBands {
		if share >= PositivesAdviceShare {
			out = append(out, fmt.Sprintf("%s: %.0f%% of the positives lie inside this band, so its negatives look like positives and many will be unlisted ones; consider a lower %s-range HI, --relative-margin 0.05 or --exclude-near-duplicates 0.95",
				r.Bands[b].Name, 100*share, r.Bands[b].Name))
		}
	}
	if c := r.Limits; c != nil {
		for b, s := range c.Pools {
			without := r.Pools[b]
			if s.Quota <= 0 || s.ShortShare < AdviceShare || without.ShortShare >= AdviceShare {
				continue
			}
			out = append(out, fmt.Sprintf("%s: within the limits %.0f%% of anchors have fewer than %d candidates (%.0f%% without them); consider looser limits or a lower %s-range LO",
				s.Name, 100*s.ShortShare, int(math.Ceil(s.Quota)), 100*without.ShortShare, s.Name))
		}
	}
	if c := r.Limits; c != nil && len(r.Sample) > 0 && float64(c.Starved) >= starveAdviceShare*float64(len(r.Sample)) {
		var hint []string
		if c.RelativeMargin != nil {
			hint = append(hint, "a smaller --relative-margin")
		}
		if c.AbsoluteMargin != nil {
			hint = append(hint, "a smaller --absolute-margin")
		}
		if c.MaxScore != nil || c.MinScore != nil {
			hint = append(hint, "a wider --min-score/--max-score")
		}
		out = append(out, fmt.Sprintf("limits: they leave %s of anchors with no candidate; consider %s",
			pct(c.Starved, len(r.Sample)), strings.Join(hint, " or ")))
	}
	return out
}

// massOutside returns how many candidate similarities lie in the bins
// wholly below band b and wholly above it.
func (r *Report) massOutside(b int) (below, above int64) {
	band := r.Bands[b]
	for i, c := range r.Candidates.Counts {
		switch {
		case BinEdge(i+1) <= band.Lo:
			below += c
		case BinEdge(i) >= band.Hi:
			above += c
		}
	}
	return below, above
}

func (c *Limits) describe() string {
	var parts []string
	if c.RelativeMargin != nil {
		parts = append(parts, fmt.Sprintf("s <= s+ - |s+| x %g", *c.RelativeMargin))
	}
	if c.AbsoluteMargin != nil {
		parts = append(parts, fmt.Sprintf("s <= s+ - %g", *c.AbsoluteMargin))
	}
	if c.MaxScore != nil {
		parts = append(parts, fmt.Sprintf("s <= %g", *c.MaxScore))
	}
	if c.MinScore != nil {
		parts = append(parts, fmt.Sprintf("s >= %g", *c.MinScore))
	}
	return strings.Join(parts, " and ") + " (s+: the anchor's lowest positive similarity)"
}

// writeHistogram draws the bins from the first to the last that holds
// anything, leaving the empty tails out.
func (r *Report) writeHistogram(w io.Writer, h Histogram) {
	lo, hi := bins, -1
	for i, c := range h.Counts {
		if c > 0 {
			lo, hi = min(lo, i), max(hi, i)
		}
	}
	total := h.Total()
	var top int64
	for _, c := range h.Counts {
		top = max(top, c)
	}
	fmt.Fprintf(w, "  %6s %6s %12s %6s\n", "from", "to", "count", "share")
	for i := lo; i <= hi; i++ {
		c := h.Counts[i]
		share := 0.0
		if total > 0 {
			share = 100 * float64(c) / float64(total)
		}
		b := bar(c, top)
		line := fmt.Sprintf("  %6.2f %6.2f %12s %5.1f%%  %s", BinEdge(i), BinEdge(i+1), group(c), share, b)
		if name := r.bandAt(BinEdge(i)); name != "" {
			// Pad by runes: a bar cell is one column but three bytes.
			line += strings.Repeat(" ", barWidth-utf8.RuneCountInString(b)) + "  " + name
		}
		fmt.Fprintln(w, line)
	}
}

// bandAt names the band holding similarity x, or "".
func (r *Report) bandAt(x float64) string {
	for _, b := range r.Bands {
		if x >= b.Lo && x < b.Hi {
			return b.Name
		}
	}
	return ""
}

// bar draws c out of top as a bar of barWidth cells, in eighths.
func bar(c, top int64) string {
	if top == 0 || c == 0 {
		return ""
	}
	eighths := int(math.Round(float64(c) * barWidth * 8 / float64(top)))
	if eighths == 0 {
		eighths = 1 // something, however little, is there
	}
	partial := []string{"", "▏", "▎", "▍", "▌", "▋", "▊", "▉"}
	return strings.Repeat("█", eighths/8) + partial[eighths%8]
}

func writeBandTable(w io.Writer, stats []BandStats) {
	fmt.Fprintf(w, "  %-8s %-14s %5s %5s %9s %9s %9s %9s %7s %15s %9s\n",
		"band", "range", "ratio", "quota", "min", "p10", "median", "max", "empty", "below quota", "shortfall")
	for _, s := range stats {
		rng := fmt.Sprintf("[%g, %g)", s.Lo, s.Hi)
		fmt.Fprintf(w, "  %-8s %-14s %5.2f %5.2f %9s %9s %9s %9s %7d %15s %9.2f\n",
			s.Name, rng, s.Ratio, s.Quota, group(s.Min), group(s.P10), group(s.Median), group(s.Max), s.Empty,
			fmt.Sprintf("%d (%.1f%%)", s.Short, 100*s.ShortShare), s.Shortfall)
	}
	fmt.Fprintln(w, "  (below quota: anchors whose pool is smaller than the quota; shortfall: mean negatives per anchor the band cannot give)")
}

func writeOverall(w io.Writer, negatives, n int, o Overall) {
	fmt.Fprintf(w, "  all bands together: %d of %d anchors (%s) have fewer than %d candidates (%d have none); %.2f negatives per anchor cannot be had\n",
		o.Short, n, pct(o.Short, n), negatives, o.Empty, o.Missing)
}

func pct(k, n int) string {
	if n == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(k)/float64(n))
}

func perAnchor(k int64, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(k) / float64(n)
}

// group writes n with commas between groups of three digits.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
