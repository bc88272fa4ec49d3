package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/report"
	"github.com/spf13/cobra"
)

func reportCmd(stdout io.Writer) *cobra.Command {
	var (
		out string
		opt report.Options
	)
	c := &cobra.Command{
		Use:   "report DIR [--out CHARTS]",
		Short: "Draw PNG charts of a mined data set",
		Long: `Report reads the outputs of 'hardneg mine' in DIR (the two JSONL files and the
stats file) and draws four PNG charts into --out (default DIR/charts):

  similarity.png  the similarity of the sampled negatives, stacked by band
  mix.png         target and achieved share of each band
  positives.png   how many anchors have each number of positives
  spread.png      per band, how many anchors got how many of their negatives
                  from it (an on-target mix can hide anchors all hard, others none)

` + exitCodesHelp,
		Example: `  hardneg report runs/01
  hardneg report runs/01 --out docs --width 800 --height 450`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return &usageError{fmt.Errorf("report wants one folder, the output of 'hardneg mine' (got %d arguments)", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if out == "" {
				out = filepath.Join(dir, "charts")
			}
			paths, err := report.Write(dir, out, opt)
			if err != nil {
				if errors.Is(err, report.ErrInput) || errors.Is(err, fs.ErrNotExist) {
					return fmt.Errorf("%w: %w", mine.ErrInput, err)
				}
				return err
			}
			for _, p := range paths {
				fmt.Fprintln(stdout, p)
			}
			return nil
		},
	}
	f := c.Flags()
	f.SortFlags = false
	f.StringVarP(&out, "out", "o", "", "folder for the charts (default DIR/charts)")
	f.IntVar(&opt.Width, "width", report.DefaultWidth, "chart width in pixels")
	f.IntVar(&opt.Height, "height", report.DefaultHeight, "chart height in pixels")
	return c
}
