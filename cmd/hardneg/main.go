// Command hardneg builds contrastive training sets — (anchor, positive,
// negative) triplets — with hard negatives mined by similarity band. See
// `hardneg --help`.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/output"
)

// Exit codes, listed in --help.
const (
	exitOK          = 0
	exitFailure     = 1   // a run failed for a reason other than those below
	exitUsage       = 2   // bad flags or settings
	exitInput       = 3   // an input file cannot be used
	exitOutputExist = 4   // outputs exist and --force was not given
	exitMemory      = 5   // the run would need more memory than it may use
	exitEmpty       = 6   // the run produced no rows (see --allow-empty)
	exitSIGINT      = 130 // interrupted (Ctrl-C)
	exitCrash       = 134 // a crash of the Go runtime, by SIGABRT (crashBySignal); never returned by exitCode
	exitSIGTERM     = 143 // terminated
)

func main() {
	crashBySignal()
	testHooks()
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	var got os.Signal
	go func() {
		got = <-sigs
		cancel()
		signal.Stop(sigs) // a second signal kills at once
	}()
	err := run(ctx, os.Stdout, os.Stderr, os.Args[1:])
	if err != nil && ctx.Err() != nil {
		switch got {
		case syscall.SIGTERM:
			fmt.Fprintln(os.Stderr, "hardneg: terminated; earlier outputs left as they were")
			os.Exit(exitSIGTERM)
		default:
			fmt.Fprintln(os.Stderr, "hardneg: interrupted; earlier outputs left as they were")
			os.Exit(exitSIGINT)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "hardneg: %v\n", err)
	}
	os.Exit(exitCode(err))
}

// testHooks reads the environment variables that the crash tests set:
// HARDNEG_TEST_COMMIT_DELAY (a duration) names each step of a commit on
// stderr and waits that long before it, so that a test can kill the
// process between two steps; HARDNEG_TEST_PANIC makes a goroutine panic,
// to show how a crash ends.
func testHooks() {
	if v := os.Getenv("HARDNEG_TEST_PANIC"); v != "" {
		go panic("hardneg test crash: " + v)
	}
	if v := os.Getenv("HARDNEG_TEST_COMMIT_DELAY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "hardneg: HARDNEG_TEST_COMMIT_DELAY=%q: %v\n", v, err)
			os.Exit(exitUsage)
		}
		output.SetCommitHook(func(step string) {
			fmt.Fprintf(os.Stderr, "commit step: %s\n", step)
			time.Sleep(d)
		})
	}
}

func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue), errors.Is(err, mine.ErrConfig):
		return exitUsage
	case errors.Is(err, mine.ErrInput):
		return exitInput
	case errors.Is(err, mine.ErrOutputExists):
		return exitOutputExist
	case errors.Is(err, mine.ErrMemory):
		return exitMemory
	case errors.Is(err, mine.ErrEmpty):
		return exitEmpty
	}
	return exitFailure
}
