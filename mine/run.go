package mine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/hardneg/hardneg/format"
	"github.com/hardneg/hardneg/output"
)

// Hooks let a caller watch a run. Every field may be nil.
type Hooks struct {
	// Log receives one line per stage.
	Log io.Writer
	// ScanStart is called before the scan with its units of work: the
	// number of anchors times the number of corpus chunks they are scanned
	// against (one when the corpus is held whole). ScanProgress is called
	// with the units finished since its last call (from several goroutines
	// at once).
	ScanStart    func(anchors int)
	ScanProgress func(anchors int)
	ScanDone     func()
	// Warn receives warnings, one line each, starting "warning: ": things
	// that do not stop the run but probably make its result wrong. The CLI
	// prints them even with --quiet.
	Warn io.Writer
}

func (h Hooks) logf(format string, args ...any) {
	if h.Log != nil {
		fmt.Fprintf(h.Log, format+"\n", args...)
	}
}

func (h Hooks) warnf(format string, args ...any) {
	if h.Warn != nil {
		fmt.Fprintf(h.Warn, "warning: "+format+"\n", args...)
	}
}

// Result is what a run produced.
type Result struct {
	Stats   Stats
	OutDir  string
	Spec    *format.Spec // the format written
	Outputs []string     // paths written
}

// Run mines the problem the settings describe and writes the outputs into
// s.OutDir: read the inputs (package source), guard and scan every anchor
// (guard, scan), choose the negatives (choose), split (split) and write
// (format, hfds, output), all at once at the end. On any error, including
// cancellation of ctx, the output folder is left as it was.
func Run(ctx context.Context, s Settings, hooks Hooks) (*Result, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	threads := s.Threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	// Refuse to overwrite before reading anything.
	st, err := newStaging(s, hooks)
	if err != nil {
		return nil, err
	}
	res, err := run(ctx, s, threads, st, hooks)
	if err != nil {
		return nil, errors.Join(err, st.Abort())
	}
	return res, nil
}

// newStaging prepares the staging folder of a run's outputs, after
// finishing or cleaning what killed runs left in the output folder.
func newStaging(s Settings, hooks Hooks) (*output.Staging, error) {
	if err := s.checkDump(); err != nil {
		return nil, err
	}
	st, err := output.NewStaging(s.OutDir, s.stagedOutputs(), s.Force)
	if errors.Is(err, output.ErrOutDir) {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	if st != nil {
		for _, line := range st.Recovered {
			hooks.warnf("%s: %s", s.OutDir, line)
		}
	}
	return st, err
}

func run(ctx context.Context, s Settings, threads int, st *output.Staging, hooks Hooks) (*Result, error) {
	tm := newTimer()
	in, err := readInputs(s, hooks)
	if err != nil {
		return nil, err
	}
	defer in.close()
	tm.stage("read_terms_and_pairs", tm.start)
	sc, err := scanAnchors(ctx, s, in, nil, 0, 1, threads, hooks, tm)
	if err != nil {
		return nil, err
	}
	return finish(ctx, s, st, sc, hooks, tm)
}

// timer records the wall time of each stage for the stats file.
type timer struct {
	start  time.Time
	stages Object
}

func newTimer() *timer { return &timer{start: time.Now()} }

func (t *timer) stage(name string, since time.Time) {
	t.stages = append(t.stages, Field{name, round3(time.Since(since).Seconds())})
}

// move moves d of the time recorded for stage from into stage to, both
// recorded already: a streamed corpus is loaded chunk by chunk inside the
// scan, and that time belongs to loading.
func (t *timer) move(from, to string, d time.Duration) {
	for i, f := range t.stages {
		switch f.Key {
		case from:
			t.stages[i].Value = round3(f.Value.(float64) - d.Seconds())
		case to:
			t.stages[i].Value = round3(f.Value.(float64) + d.Seconds())
		}
	}
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

// release is the version a packaged build sets with
// -ldflags "-X github.com/hardneg/hardneg/mine.release=0.1.0" (the Python
// wheel's hook does), where the module version reads "(devel)".
var release string

// Version is the module version from the build info, e.g. "hardneg v0.1.0"
// or "hardneg (devel)" with the VCS revision when there is one.
func Version() string {
	if release != "" {
		return "hardneg v" + release
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "hardneg (unknown)"
	}
	v := "hardneg " + bi.Main.Version
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " " + s.Value[:12]
		}
		if s.Key == "vcs.modified" && s.Value == "true" {
			v += "+dirty"
		}
	}
	return v
}
