package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
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
  4    outputs already exist and --force was not given, or --force would replace
       something hardneg did not write
  5    the run would need more memory than is available or --max-memory allows
  6    the run produced no rows (every candidate excluded, say) and --allow-empty was
       not given; nothing was written
  130  interrupted by Ctrl-C (SIGINT); earlier outputs are left as they were
  134  hardneg crashed (SIGABRT): a bug; please report it with the trace it printed.
       Earlier outputs are left as they were; a crash during the commit is finished
       by the next run into the folder, or 'hardneg recover'
  143  terminated by SIGTERM; earlier outputs are left as they were`

// run is the whole command: tests call it directly.
func run(ctx context.Context, stdout, stderr io.Writer, args []string) error {
	root := &cobra.Command{
		Use:   "hardneg",
		Short: "Mine hard negatives and build contrastive (anchor, positive, negative) training sets",
		Long: `hardneg builds contrastive training sets — (anchor, positive, negative) rows with
hard negatives mined by exact cosine similarity — for retrieval embedding models
and sparse models. Two jobs, one pipeline:

  queries against a corpus  BEIR layout: corpus.jsonl, queries.jsonl, qrels TSV
                            and one .npy of embeddings for each side
                            (hardneg mine --beir-dir DIR --out OUT)
  a term list against itself synonym pairs, a term list and its embeddings
                            (hardneg mine --data-dir DIR)

Negatives come from similarity bands in set ratios or from all candidates, in
rank windows, by random, top or SimANS sampling, with guards against false
negatives; outputs are a HuggingFace dataset, JSONL and Parquet in the formats
sentence-transformers and FlagEmbedding train on.

Start with 'hardneg demo', which makes a small data set for each job and mines
it. 'hardneg inspect' calibrates settings on a sample before a long run.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w%s (see '%s --help')", err, suggestFlag(c, err), c.CommandPath())}
	})
	root.AddCommand(mineCmd(stdout, stderr), mergeCmd(stdout, stderr), synthCmd(stdout), demoCmd(stdout, stderr), reportCmd(stdout), inspectCmd(stdout), planCmd(stdout), recoverCmd(stdout), versionCmd(stdout))
	root.SetContext(ctx)
	err := root.ExecuteContext(ctx)
	if err != nil && isCobraUsage(err) {
		return &usageError{err}
	}
	return err
}

// suggestFlag names the command's flag nearest to an unknown one: a
// prefix of it, or within a few edits; "" when none is near.
func suggestFlag(c *cobra.Command, err error) string {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok {
		return ""
	}
	name, _, _ = strings.Cut(name, "=")
	best, bestD := "", 0
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		d := editDistance(name, f.Name)
		if strings.HasPrefix(f.Name, name) || strings.HasPrefix(name, f.Name) {
			d = min(d, 1)
		}
		if best == "" || d < bestD {
			best, bestD = f.Name, d
		}
	})
	if best == "" || bestD > max(2, len(name)/3) {
		return ""
	}
	return fmt.Sprintf("; did you mean --%s?", best)
}

// editDistance is the Levenshtein distance between two flag names.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
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
