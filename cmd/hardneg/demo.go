package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/hardneg/hardneg/format"
	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/synth"
)

// demoRelativeMargin and demoNearDuplicates are the guards the corpus demo
// shows: NV-Retriever's 95% rule and sentence-transformers' commonest
// false negative, near-copies of a positive.
const (
	demoRelativeMargin = 0.05
	demoNearDuplicates = 0.95
)

func demoCmd(stdout, stderr io.Writer) *cobra.Command {
	var (
		out   string
		quiet bool
	)
	c := &cobra.Command{
		Use:   "demo [--out DIR]",
		Short: "Make two small synthetic data sets and mine them, in seconds",
		Long: `Demo runs both jobs on built-in synthetic data and prints a summary of each:

  DIR/synonym  the synonym job: a term list mined against itself ('hardneg synth'
               with its defaults), with the notebook's settings and the balanced
               quota; the outputs go beside the data, as the notebook writes them
  DIR/beir     queries against a corpus in the BEIR layout ('hardneg synth --beir'),
               mined with the notebook's bands, --relative-margin 0.05 and
               --exclude-near-duplicates 0.95; the outputs go into DIR/beir/mined

Without --out it works in a new temporary folder and prints where.

` + exitCodesHelp,
		Args: noArgs("demo"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				dir, err := os.MkdirTemp("", "hardneg-demo-")
				if err != nil {
					return err
				}
				out = dir
			}
			hooks, err := mineHooks(stderr, quiet, "auto")
			if err != nil {
				return err
			}

			// The synonym job.
			dir := filepath.Join(out, "synonym")
			scfg := synth.DefaultConfig()
			d, err := synth.Generate(scfg)
			if err != nil {
				return err
			}
			if err := d.WriteDir(dir); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "== the synonym job: %d terms x %d dims and %d pairs in %s\n", scfg.Terms, scfg.Dim, len(d.Pairs), dir)
			s := mine.DefaultSettings(dir)
			s.Force = true
			start := time.Now()
			res, err := mine.Run(cmd.Context(), s, hooks)
			if err != nil {
				return err
			}
			printSummary(stdout, res, time.Since(start))

			// Queries against a corpus.
			dir = filepath.Join(out, "beir")
			bcfg := synth.DefaultBEIRConfig()
			b, err := synth.GenerateBEIR(bcfg)
			if err != nil {
				return err
			}
			if err := b.WriteDir(dir); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "\n== queries against a corpus: %d documents and %d queries x %d dims, %d judgements in %s\n",
				bcfg.Docs, bcfg.Queries, bcfg.Dim, len(b.Qrels), dir)
			s = mine.DefaultSettings("")
			s.Inputs = mine.Inputs{
				Corpus: filepath.Join(dir, synth.BEIRCorpus), CorpusEmbeddings: filepath.Join(dir, synth.BEIRCorpusEmbeddings),
				Queries: filepath.Join(dir, synth.BEIRQueries), QueryEmbeddings: filepath.Join(dir, synth.BEIRQueryEmbeddings),
				Qrels: filepath.Join(dir, synth.BEIRQrels),
			}
			s.OutDir, s.Force, s.Format = filepath.Join(dir, "mined"), true, format.Triplet
			margin := demoRelativeMargin
			s.Limits.RelativeMargin, s.NearDuplicates = &margin, demoNearDuplicates
			start = time.Now()
			if res, err = mine.Run(cmd.Context(), s, hooks); err != nil {
				return err
			}
			printSummary(stdout, res, time.Since(start))
			return nil
		},
	}
	c.Flags().StringVarP(&out, "out", "o", "", "folder for the data and the outputs (default: a new temporary folder)")
	c.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the summaries")
	return c
}
