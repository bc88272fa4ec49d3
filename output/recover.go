package output

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Recover finds what killed runs left in the folder out and deals with it,
// before a run writes there:
//
//   - a staging folder with a journal belongs to a commit cut short by a
//     crash: Recover finishes it (every output it names was complete and
//     synced before the journal was written), so out holds the complete new
//     outputs, then removes the folder;
//   - a staging folder without a journal belongs to a run stopped before
//     its commit: Recover removes it, with what it staged elsewhere;
//   - a shard file being written (StagingPrefix*PartialSuffix) whose writer
//     is gone is removed.
//
// Anything a live process holds is left alone, and so is anything Recover
// cannot account for; it is reported. Recover returns one line per thing
// it found. Its error wraps ErrRecover when a commit could not be
// finished; the folder is then left as it was found.
func Recover(out string) ([]string, error) {
	entries, err := os.ReadDir(out)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrOutDir, err)
	}
	var (
		report []string
		errs   []error
	)
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, StagingPrefix) {
			continue
		}
		path := filepath.Join(out, name)
		var (
			line string
			err  error
		)
		switch {
		case e.IsDir():
			line, err = recoverStaging(out, path)
		case strings.HasSuffix(name, PartialSuffix):
			line, err = removeAbandoned(path)
		default:
			line = strayFile(out, path)
		}
		if line != "" {
			report = append(report, line)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return report, errors.Join(errs...)
}

// status is what probe learns about a staging folder.
type status struct {
	lock   *os.File // held by the caller when the owner is gone
	live   bool     // a live process holds the lock
	owner  string   // " (pid N)", when known
	noLock bool     // the folder has no lock file
	err    error    // locks do not work here
}

// probe tries to take a staging folder's lock.
func probe(dir string) status {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return status{noLock: true}
	}
	if err != nil {
		return status{err: err}
	}
	owner := ""
	var b [32]byte
	if n, _ := f.ReadAt(b[:], 0); n > 0 {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b[:n]))); err == nil {
			owner = fmt.Sprintf(" (pid %d)", pid)
		}
	}
	ok, err := tryLockFile(f)
	if err != nil || !ok {
		f.Close()
		return status{live: ok == false && err == nil, owner: owner, err: err}
	}
	return status{lock: f, owner: owner}
}

// recoverStaging finishes or removes one staging folder left by a dead run.
func recoverStaging(out, dir string) (string, error) {
	name := filepath.Base(dir)
	st := probe(dir)
	switch {
	case st.live:
		return fmt.Sprintf("left %s alone: a running hardneg%s is writing it", name, st.owner), nil
	case st.err != nil:
		if _, ok, _ := readJournal(filepath.Join(dir, journalName)); ok {
			return "", fmt.Errorf("%w: %s holds a commit that was cut short, and file locks do not work here (%v) to tell whether its run is still going; once no hardneg writes into %s, remove %s",
				ErrRecover, dir, st.err, out, filepath.Join(dir, lockName))
		}
		return fmt.Sprintf("left %s alone: file locks do not work here (%v), so it may be in use; remove it once no hardneg writes into %s", name, st.err, out), nil
	case st.noLock:
		// A hardneg from before journals, or a run in the instant between
		// making its folder and its lock (which then makes another).
		if entries, _ := os.ReadDir(filepath.Join(dir, replacedDir)); len(entries) > 0 {
			return "", fmt.Errorf("%w: %s holds earlier outputs in %s, moved aside by a commit that an older hardneg did not finish; move back what %s lacks, then remove the folder",
				ErrRecover, dir, replacedDir, out)
		}
		if err := os.RemoveAll(dir); err != nil {
			return "", fmt.Errorf("%w: remove %s: %w", ErrOutDir, dir, err)
		}
		return fmt.Sprintf("removed %s, left by a run stopped before its commit", name), nil
	}
	// Closing drops the lock, as the end of a killed recovery would.
	defer st.lock.Close()
	plan, _, _ := readJournal(filepath.Join(dir, planName))
	j, committing, err := readJournal(filepath.Join(dir, journalName))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrRecover, err)
	}
	line := fmt.Sprintf("removed %s, left by a run stopped before its commit", name)
	if committing {
		if err := rollForward(out, j); err != nil {
			return "", fmt.Errorf("%w: %s: the commit cut short there cannot be finished: %w; nothing was removed", ErrRecover, dir, err)
		}
		var names []string
		for _, e := range j.Entries {
			names = append(names, e.Target)
		}
		syncDirs(out, j.Entries)
		step("recover: remove journal")
		if err := os.Remove(filepath.Join(dir, journalName)); err != nil {
			return "", fmt.Errorf("%w: %w", ErrRecover, err)
		}
		syncDir(dir)
		line = fmt.Sprintf("finished the commit cut short in %s: %s now hold the new outputs", name, strings.Join(names, ", "))
	}
	step("recover: clean up")
	if err := removeStaging(dir, st.lock, plan.Entries); err != nil {
		return line, fmt.Errorf("%w: %w", ErrOutDir, err)
	}
	return line, nil
}

// rollForward completes a journaled commit. Each move is done only if it
// is still to do, so a recovery cut short is finished by the next one.
func rollForward(out string, j journal) error {
	exists := func(p string) (bool, error) {
		_, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return err == nil, err
	}
	for _, e := range j.Entries {
		target, staged, aside := resolve(out, e.Target), resolve(out, e.Staged), resolve(out, e.Aside)
		hasStaged, err := exists(staged)
		if err != nil {
			return err
		}
		hasTarget, err := exists(target)
		if err != nil {
			return err
		}
		hasAside, err := exists(aside)
		if err != nil {
			return err
		}
		switch {
		case hasStaged && hasTarget && hasAside:
			return fmt.Errorf("%s, the new one (%s) and the earlier one (%s) all exist", target, staged, aside)
		case hasStaged && hasTarget:
			step("recover: move aside %s", e.Target)
			if err := os.Rename(target, aside); err != nil {
				return err
			}
			fallthrough
		case hasStaged:
			step("recover: place %s", e.Target)
			if err := os.Rename(staged, target); err != nil {
				return err
			}
		case !hasTarget:
			return fmt.Errorf("neither %s nor the new output staged for it (%s) exists", target, staged)
		}
	}
	return nil
}

// removeAbandoned removes a partial file whose writer is gone.
func removeAbandoned(path string) (string, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrOutDir, err)
	}
	defer f.Close()
	ok, err := tryLockFile(f)
	if err != nil || !ok {
		return "", nil // being written, or no locks to tell
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: %w", ErrOutDir, err)
	}
	return fmt.Sprintf("removed %s, left by a run killed while writing it", filepath.Base(path)), nil
}

// strayFile accounts for an output staged outside its run's output folder:
// when that folder's staging folder is here, recovering it handles the
// file; otherwise it is reported.
func strayFile(out, path string) string {
	name := filepath.Base(path)
	id, _, _ := strings.Cut(strings.TrimPrefix(name, StagingPrefix), ".")
	if _, err := os.Lstat(path); err != nil {
		return "" // removed with its staging folder
	}
	if fi, err := os.Stat(filepath.Join(out, StagingPrefix+id)); err == nil && fi.IsDir() {
		return ""
	}
	return fmt.Sprintf("left %s alone: a hardneg run writing elsewhere staged it here; remove it once no run is using it", name)
}
