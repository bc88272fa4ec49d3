package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/hardneg/hardneg/inspect"
	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/source"
)

// inspectFlags holds the inspect command's flags until they become
// inspect.Options.
type inspectFlags struct {
	dataDir, pairs, embeddings, terms string
	ranges                            []rangeFlag
	ratios                            []float64
	bands                             []string
	opt                               inspect.Options
	quiet                             bool
}

func (f *inspectFlags) options(c *cobra.Command) (inspect.Options, error) {
	if f.dataDir == "" && (f.pairs == "" || f.embeddings == "" || f.terms == "") {
		return inspect.Options{}, &usageError{errors.New("give --data-dir, or all of --pairs, --embeddings and --terms")}
	}
	opt := f.opt
	opt.PairsPath, opt.EmbeddingsPath, opt.TermsPath = f.pairs, f.embeddings, f.terms
	for _, p := range []struct {
		dst  *string
		name string
	}{{&opt.PairsPath, source.PairsFile}, {&opt.EmbeddingsPath, source.EmbeddingsFile}, {&opt.TermsPath, source.TermsFile}} {
		if *p.dst == "" {
			*p.dst = filepath.Join(f.dataDir, p.name)
		}
	}
	def := inspect.DefaultBands()
	if len(f.bands) > 0 {
		for _, b := range def {
			for _, fl := range []string{b.Name + "-range", b.Name + "-ratio"} {
				if c.Flags().Changed(fl) {
					return inspect.Options{}, &usageError{fmt.Errorf("--%s and --band do not mix: with --band, list every band", fl)}
				}
			}
		}
		for _, s := range f.bands {
			b, err := parseBand(s)
			if err != nil {
				return inspect.Options{}, &usageError{err}
			}
			opt.Bands = append(opt.Bands, inspect.Band{Name: b.Name, Lo: b.Lo, Hi: b.Hi, Ratio: b.Ratio})
		}
	} else {
		for i, b := range def {
			opt.Bands = append(opt.Bands, inspect.Band{Name: b.Name, Lo: f.ranges[i].lo, Hi: f.ranges[i].hi, Ratio: f.ratios[i]})
		}
	}
	if opt.Sample < 1 {
		return inspect.Options{}, &usageError{fmt.Errorf("--sample %d must be at least 1", opt.Sample)}
	}
	return opt, nil
}

// markedError keeps an error's text and makes errors.Is also find mark, so
// that an inspect error can carry mine's sentinel for the exit code.
type markedError struct{ err, mark error }

func (e *markedError) Error() string   { return e.err.Error() }
func (e *markedError) Unwrap() []error { return []error{e.err, e.mark} }

func inspectCmd(stdout io.Writer) *cobra.Command {
	f := inspectFlags{}
	c := &cobra.Command{
		Use:   "inspect --data-dir DIR [flags]",
		Short: "Calibrate similarity bands on a sample of anchors before a long run",
		Long: `Inspect reads the same three files as 'hardneg mine', takes a sample of
anchors (--sample of them, chosen by --seed; the same seed picks the same
anchors), computes the exact cosine similarity of each to every term, as mine
would, and prints a report. It writes nothing and takes seconds at 150,000
terms, so try several settings before committing to a run.

What to read in the report:

  Candidates histogram  the similarity of the sampled anchors to their
                        candidates (every term but the anchor and its
                        positives), in bins of 0.05, labelled with the band
                        each bin starts in. Where the mass sits tells you where
                        bands can find candidates for your embedding model.
  Positives histogram   the anchors' similarity to their own positives. Hard
                        negatives above most positives are likely unlabelled
                        synonyms; keep the hard band's HI below this mass.
  Band table            per band: the quota (negatives x ratio per anchor),
                        the pool sizes over the sample (min, p10, median, max),
                        how many anchors have an empty pool, how many have a
                        pool below the quota, and the shortfall: the mean
                        negatives per anchor the band cannot give (the
                        balanced quota moves them to other bands, shifting the
                        mix). 'All bands together' counts the anchors that
                        cannot get --negatives-per-anchor negatives at all.
  Ceiling               with --max-neg-ratio or --max-neg-margin: a candidate
                        more similar than the ratio times the anchor's lowest
                        positive similarity, or than that similarity minus the
                        margin, is dropped. The report shows the candidates it
                        removes per band, the anchors it starves (candidates
                        before, none left in any band), and the band table
                        under the ceiling.
  Advice                one line per band that is below its quota for 20% or
                        more of the anchors, saying which way to widen it,
                        and one for a ceiling that starves 5% or more.

` + exitCodesHelp,
		Example: `  hardneg inspect --data-dir data/v21.3
  hardneg inspect --data-dir data/v21.3 --hard-range 0.65,0.9 --sample 500 --seed 7
  hardneg inspect --data-dir data/v21.3 --max-neg-margin 0.05`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opt, err := f.options(cmd)
			if err != nil {
				return err
			}
			start := time.Now()
			r, err := inspect.Run(cmd.Context(), opt)
			switch {
			case errors.Is(err, inspect.ErrInput):
				return &markedError{err, mine.ErrInput}
			case errors.Is(err, inspect.ErrConfig):
				return &usageError{err}
			case err != nil:
				return err
			}
			if err := r.WriteText(stdout); err != nil {
				return err
			}
			if !f.quiet {
				fmt.Fprintf(cmd.ErrOrStderr(), "inspected %d anchors against %d terms in %s\n",
					len(r.Sample), r.Terms, time.Since(start).Round(time.Millisecond))
			}
			return nil
		},
	}
	fs := c.Flags()
	fs.SortFlags = false
	addInputFlags(fs, &f.dataDir, &f.pairs, &f.embeddings, &f.terms)
	fs.IntVar(&f.opt.Sample, "sample", inspect.DefaultSample, "how many anchors to look at")
	fs.Uint64Var(&f.opt.Seed, "seed", 42, "seed that picks the sampled anchors")
	def := inspect.DefaultBands()
	f.ranges = make([]rangeFlag, len(def))
	f.ratios = make([]float64, len(def))
	for i, b := range def {
		f.ranges[i] = rangeFlag{b.Lo, b.Hi}
		fs.Var(&f.ranges[i], b.Name+"-range", fmt.Sprintf("cosine range of the %s band, half-open [LO, HI)", b.Name))
	}
	for i, b := range def {
		fs.Float64Var(&f.ratios[i], b.Name+"-ratio", b.Ratio, fmt.Sprintf("share of negatives from the %s band", b.Name))
	}
	fs.StringArrayVar(&f.bands, "band", nil, "a band as NAME:LO:HI:RATIO; repeat it for each band, in increasing order,\nto replace the three bands above (as for 'hardneg mine')")
	fs.IntVarP(&f.opt.Negatives, "negatives-per-anchor", "n", 5, "negatives per anchor the run would take; a band's quota is this times its ratio")
	fs.Float64Var(&f.opt.MaxNegRatio, "max-neg-ratio", 0, "ceiling to try: drop candidates above this times the anchor's lowest\npositive similarity (0: off)")
	fs.Float64Var(&f.opt.MaxNegMargin, "max-neg-margin", 0, "ceiling to try: drop candidates above the anchor's lowest positive\nsimilarity minus this (0: off)")
	fs.IntVar(&f.opt.Threads, "threads", 0, "worker threads (0: all cores); never changes the report")
	fs.BoolVarP(&f.quiet, "quiet", "q", false, "do not print the timing line on stderr")
	return c
}
