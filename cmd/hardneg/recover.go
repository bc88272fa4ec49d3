package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hardneg/hardneg/output"
)

func recoverCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "recover DIR...",
		Short: "Finish or clean up what killed runs left in output folders",
		Long: `Recover looks in each DIR (an output folder, or a folder of shard files) for
what a hardneg run that was killed (kill -9, an OOM kill, a power loss) left
behind, and deals with it:

  a commit cut short   the run had written every output and started moving them
                       into place: recover finishes the move, so DIR holds the
                       complete new outputs
  a staging folder     the run was stopped before its commit: it is removed, with
                       anything it staged elsewhere (--dump-excluded)
  a partial shard file a shard task was killed while writing it: it is removed

Folders and files that a running hardneg holds are left alone. Every run into a
folder does the same before anything else, so recover is only needed to clean
up without starting a run. It prints one line per thing it found.

` + exitCodesHelp,
		Example: `  hardneg recover data/v21.3
  hardneg recover runs/01 runs/01/shards`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return &usageError{errors.New("recover wants the output folders to look in")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var errs []error
			for _, dir := range args {
				report, err := output.Recover(dir)
				for _, line := range report {
					fmt.Fprintf(stdout, "%s: %s\n", dir, line)
				}
				if err != nil {
					errs = append(errs, err)
				} else if len(report) == 0 {
					fmt.Fprintf(stdout, "%s: nothing to recover\n", dir)
				}
			}
			return errors.Join(errs...)
		},
	}
}
