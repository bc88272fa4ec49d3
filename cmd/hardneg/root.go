package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
)

// usageError is a mistake in the command line.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

const exitCodesHelp = `Exit codes:
  0    success
  1    the run failed (I/O error, out of memory, ...)
  2    bad flags or settings
  3    an input file cannot be used (the message names the file and line or row)
  4    outputs already exist and --force was not given
  5    the run would need more memory than is available or --max-memory allows
  130  interrupted by Ctrl-C (SIGINT); earlier outputs are left as they were
  143  terminated by SIGTERM; earlier outputs are left as they were`

// run is the whole command: tests call it directly.
func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	root := &cobra.Command{
		Use:   "hardneg",
		Short: "Mine hard negatives and build contrastive (anchor, positive, negative) training sets",
		Long: `hardneg builds contrastive training sets — (anchor, positive, negative) triplets —
from synonym pairs and a term embedding matrix, choosing each anchor's negatives
from similarity bands (easy, medium, hard) in set proportions.

Start with 'hardneg demo', which makes a small synthetic data set and mines it.
Then point 'hardneg mine --data-dir DIR' at a folder holding
filtered_synonym_pairs.jsonl, term_embeddings.npy and term_list.json.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
	})
	root.AddCommand(mineCmd(stdout, stderr), mergeCmd(stdout, stderr), synthCmd(stdout), demoCmd(stdout, stderr), reportCmd(stdout), inspectCmd(stdout), versionCmd(stdout))
	root.SetContext(ctx)
	err := root.ExecuteContext(ctx)
	if err != nil && isCobraUsage(err) {
		return &usageError{err}
	}
	return err
}

// isCobraUsage recognises cobra's own errors for unknown commands and
// arguments, which it does not type.
func isCobraUsage(err error) bool {
	var ue *usageError
	if errors.As(err, &ue) {
		return false
	}
	s := err.Error()
	return strings.HasPrefix(s, "unknown command") || strings.Contains(s, "arg(s)") || strings.HasPrefix(s, "unknown flag")
}
