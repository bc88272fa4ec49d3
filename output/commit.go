package output

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Errors of the commit, tested with errors.Is.
var (
	// ErrExists reports outputs that would be overwritten without force.
	ErrExists = errors.New("output exists")
	// ErrOutDir reports an output folder that cannot be used.
	ErrOutDir = errors.New("bad output folder")
)

// Staging is a temporary folder inside the output folder where a run writes
// everything before moving it into place, so that a run that fails or is
// interrupted leaves earlier outputs as they were.
type Staging struct {
	out     string
	dir     string
	names   []string
	created bool // out did not exist before this run
}

// StagingPrefix starts the name of every staging folder; a crashed run's
// leftovers are recognisable by it.
const StagingPrefix = ".hardneg-tmp-"

// NewStaging checks that the outputs (entries of the folder out) may be
// written and creates the staging folder. Without force, any existing
// output is refused before any work.
func NewStaging(out string, names []string, force bool) (*Staging, error) {
	if fi, err := os.Stat(out); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("%w: output folder %s is a file", ErrOutDir, out)
	}
	if !force {
		var exist []string
		for _, n := range names {
			if _, err := os.Lstat(filepath.Join(out, n)); err == nil {
				exist = append(exist, n)
			}
		}
		if len(exist) > 0 {
			return nil, fmt.Errorf("%w: %s already holds %s (use --force to replace)", ErrExists, out, strings.Join(exist, ", "))
		}
	}
	_, statErr := os.Stat(out)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("%w: output folder %s cannot be created: %w", ErrOutDir, out, err)
	}
	dir, err := os.MkdirTemp(out, StagingPrefix)
	if err != nil {
		return nil, fmt.Errorf("%w: output folder %s cannot be written: %w", ErrOutDir, out, err)
	}
	return &Staging{out: out, dir: dir, names: names, created: os.IsNotExist(statErr)}, nil
}

// Path is where output name is written before it is committed.
func (s *Staging) Path(name string) string { return filepath.Join(s.dir, name) }

// Commit moves every output into place. Existing outputs are first moved
// aside into the staging folder; if any move fails, what was moved is put
// back. The window in which the folder holds a mix of old and new outputs
// is a few renames long.
func (s *Staging) Commit() error {
	old := filepath.Join(s.dir, ".replaced")
	if err := os.Mkdir(old, 0o755); err != nil {
		return fmt.Errorf("commit outputs: %w", err)
	}
	var movedAside, placed []string
	rollback := func(cause error) error {
		var errs []error
		for _, n := range placed {
			errs = append(errs, os.Rename(filepath.Join(s.out, n), s.Path(n)))
		}
		for _, n := range movedAside {
			errs = append(errs, os.Rename(filepath.Join(old, n), filepath.Join(s.out, n)))
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("commit outputs: %w (and restoring the earlier outputs failed: %v; they are in %s)", cause, err, old)
		}
		return fmt.Errorf("commit outputs: %w", cause)
	}
	for _, n := range s.names {
		target := filepath.Join(s.out, n)
		if _, err := os.Lstat(target); err == nil {
			if err := os.Rename(target, filepath.Join(old, n)); err != nil {
				return rollback(err)
			}
			movedAside = append(movedAside, n)
		}
	}
	for _, n := range s.names {
		if err := os.Rename(s.Path(n), filepath.Join(s.out, n)); err != nil {
			return rollback(err)
		}
		placed = append(placed, n)
	}
	return s.cleanup()
}

// cleanup removes the staging folder and whatever is left in it.
func (s *Staging) cleanup() error {
	if err := os.RemoveAll(s.dir); err != nil {
		return fmt.Errorf("remove staging folder: %w", err)
	}
	return nil
}

// Abort cleans up after a failed run, and removes the output folder too
// when this run created it and it is still empty.
func (s *Staging) Abort() error {
	err := s.cleanup()
	if s.created {
		_ = os.Remove(s.out) // fails, harmlessly, unless empty
	}
	return err
}
