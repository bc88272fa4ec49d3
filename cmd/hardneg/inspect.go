package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/hardneg/hardneg/inspect"
	"github.com/hardneg/hardneg/mine"
)

func inspectCmd(stdout io.Writer) *cobra.Command {
	var (
		s         = mine.DefaultSettings("")
		inputs    inputFlags
		sel       = selectionFlags{s: &s}
		opt       inspect.Options
		store     string
		maxMemory string
		quiet     bool
	)
	s.Inputs, s.OutDir = mine.Inputs{}, ""
	in := newGroup("Inputs (as for 'hardneg mine')")
	inputs.add(in)
	bands := newGroup("Similarity bands to try")
	sel.addBands(bands)
	bands.fs.IntVarP(&s.NegativesPerAnchor, "negatives-per-anchor", "n", s.NegativesPerAnchor, "negatives per anchor the run would take; a band's quota is this times its ratio")
	bands.fs.IntVar(&s.NegativesPerAnchor, "num-negatives", s.NegativesPerAnchor, "the same as --negatives-per-anchor")
	guards := newGroup("Guards and score limits to try")
	sel.addGuards(guards)
	run := newGroup("Sample and running")
	run.fs.IntVar(&opt.Sample, "sample", inspect.DefaultSample, "how many anchors to look at")
	run.fs.Uint64Var(&s.Seed, "seed", 42, "seed that picks the sampled anchors (and the run's)")
	run.fs.IntVar(&s.Threads, "threads", 0, "worker threads (0: all cores); never changes the report")
	run.fs.BoolVar(&s.Exact, "exact", false, "compute every similarity in float32, without the int16 screen; never changes\nthe report")
	run.fs.StringVar(&store, "store", "f32", "precision of the embeddings for the scan: 'f32' or 'f16', as for 'hardneg mine'")
	run.fs.StringVar(&maxMemory, "max-memory", "", "refuse to start if estimated to need more than this, e.g. 8GiB")
	run.fs.BoolVarP(&quiet, "quiet", "q", false, "do not print the timing line on stderr")
	c := &cobra.Command{
		Use:   "inspect (--data-dir DIR | --beir-dir DIR) [flags]",
		Short: "Calibrate bands, guards and limits on a sample of anchors before a long run",
		Long: `Inspect reads the same inputs as 'hardneg mine' (the synonym job or queries against
a corpus), takes a sample of anchors (--sample of them, chosen by --seed; the same
seed picks the same anchors), computes the exact cosine similarity of each to every
candidate with the guards and limits given, as mine would, and prints a report. It
writes nothing and takes seconds at 150,000 x 1024, so try several settings before
committing to a run.

What to read in the report:

  Candidates histogram  the similarity of the sampled anchors to their candidates
                        (every item the guards leave them), in bins of 0.05,
                        labelled with the band each bin starts in. Where the mass
                        sits tells you where bands can find candidates for your
                        embedding model.
  Positives histogram   the anchors' similarity to their own positives. Negatives
                        above most positives are likely unlisted positives; keep
                        the hard band's HI below this mass, or use the margins.
  Band table            per band: the quota (negatives x ratio per anchor), the
                        pool sizes over the sample (min, p10, median, max), how
                        many anchors have an empty pool, how many have a pool
                        below the quota, and the shortfall: the mean negatives
                        per anchor the band cannot give (the balanced quota moves
                        them to other bands, shifting the mix). 'All bands
                        together' counts the anchors that cannot get
                        --negatives-per-anchor negatives at all.
  Score limits          with --relative-margin, --absolute-margin, --max-score or
                        --min-score: the candidates they remove per band, the
                        anchors they starve (candidates before, none left), and
                        the band table within the limits.
  Advice                one line per band below its quota for 20% or more of the
                        anchors, saying which way to widen it; one per band that
                        holds a quarter or more of the positives; one for limits
                        that starve 5% or more.

` + exitCodesHelp,
		Example: `  hardneg inspect --data-dir data/v21.3
  hardneg inspect --data-dir data/v21.3 --hard-range 0.65,0.9 --sample 500 --seed 7
  hardneg inspect --data-dir data/v21.3 --relative-margin 0.05 --exclude hops:2
  hardneg inspect --beir-dir beir/nq --no-bands --exclude-near-duplicates 0.95`,
		Args: noArgs("inspect"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if s.Inputs, err = inputs.inputs(); err != nil {
				return err
			}
			s.OutDir = "inspect" // writes nothing
			if err := sel.bandsFrom(cmd.Flags()); err != nil {
				return err
			}
			s.Store = mine.Store(store)
			if maxMemory != "" {
				if s.MaxMemory, err = mine.ParseBytes(maxMemory); err != nil {
					return &usageError{fmt.Errorf("--max-memory: %w", err)}
				}
			}
			if opt.Sample < 1 {
				return &usageError{fmt.Errorf("--sample %d must be at least 1", opt.Sample)}
			}
			if err := s.Validate(); err != nil {
				return err
			}
			if err := inputs.checkFolders(s.Inputs); err != nil {
				return err
			}
			start := time.Now()
			r, err := inspect.Run(cmd.Context(), s, opt)
			if errors.Is(err, inspect.ErrConfig) {
				return &usageError{err}
			}
			if err != nil {
				return err
			}
			if err := r.WriteText(stdout); err != nil {
				return err
			}
			if !quiet {
				fmt.Fprintf(cmd.ErrOrStderr(), "inspected %d anchors against %d candidates in %s\n",
					len(r.Sample), r.Corpus, time.Since(start).Round(time.Millisecond))
			}
			return nil
		},
	}
	addGroups(c, []flagGroup{in, bands, guards, run})
	return c
}
