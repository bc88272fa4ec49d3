package output

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Errors of the commit, tested with errors.Is.
var (
	// ErrExists reports outputs that would be overwritten without force,
	// and, with force, something in the way that a run did not write.
	ErrExists = errors.New("output exists")
	// ErrOutDir reports an output folder that cannot be used.
	ErrOutDir = errors.New("bad output folder")
	// ErrBusy reports another hardneg run writing into the same folder.
	ErrBusy = errors.New("output folder in use")
	// ErrRecover reports a commit cut short by a crash that could not be
	// finished: the message says what is where, and nothing was removed.
	ErrRecover = errors.New("interrupted commit")
)

// StagingPrefix starts the name of everything a run writes before its
// commit: staging folders, shard files being written, and outputs staged
// outside the output folder. A killed run's leftovers are recognisable by
// it, and nothing that merge or a reader takes for an output has it.
const StagingPrefix = ".hardneg-tmp-"

// PartialSuffix ends the name of a single file being written (a shard
// file); see CreatePartial.
const PartialSuffix = ".partial"

// Inside a staging folder.
const (
	lockName    = ".lock"       // locked by the run that owns the folder
	planName    = "plan.json"   // the outputs staged outside the folder
	journalName = "commit.json" // present while the commit moves outputs
	replacedDir = ".replaced"   // earlier outputs, moved aside by the commit
)

// Output is one thing a run writes.
type Output struct {
	// Name is an entry of the output folder or, for an output elsewhere
	// (the list of excluded candidates), an absolute path.
	Name string
	// Owns marks a folder output and says which entries inside it (by
	// slash-separated path relative to the folder; dir reports a folder) a
	// run writes. With force, an existing folder is replaced only when
	// everything in it is owned, so a folder of the user's that happens to
	// bear an output's name is never removed. Nil for a file.
	Owns func(rel string, dir bool) bool
}

// Staging is a temporary folder inside the output folder where a run writes
// everything before moving it into place, so that a run that fails or is
// interrupted leaves earlier outputs as they were.
//
// The commit is journaled: before it moves anything it writes the list of
// moves into the staging folder (every output is by then complete and
// synced), and it removes the list once every output is in place. A commit
// cut short by a crash (kill -9, an OOM kill, a power loss) is finished by
// Recover, which NewStaging runs before anything else: the folder then holds
// the complete new outputs. The process that owns a staging folder holds a
// lock on a file in it, which the kernel drops when the process ends, so a
// live run's folder is never mistaken for a dead one's.
type Staging struct {
	out     string
	dir     string // the staging folder
	id      string // its random part, which also names outputs staged elsewhere
	outputs []Output
	force   bool
	created bool // out did not exist before this run
	lock    *os.File
	// unresolved is set when a failed commit could not be undone: the
	// staging folder then holds earlier outputs and the journal, and Abort
	// leaves it for Recover.
	unresolved bool
	// Recovered says what NewStaging found and did about what killed runs
	// left in the output folder, one line each.
	Recovered []string
}

// entry is one move of a commit. Relative paths are relative to the
// output folder, so that a moved output folder can still be recovered;
// outputs elsewhere have absolute paths.
type entry struct {
	Target string `json:"target"`
	Staged string `json:"staged"`
	Aside  string `json:"aside"`
}

// journal is what plan.json and commit.json hold.
type journal struct {
	Version int     `json:"version"`
	Entries []entry `json:"entries"`
}

const journalVersion = 1

// commitHook, when set, is called before each step of a commit and of a
// recovery, with the step's name.
var commitHook func(step string)

// SetCommitHook sets a function called before each step of every commit
// and recovery (nil: none). It exists for tests that kill a real process
// between two steps.
func SetCommitHook(f func(step string)) { commitHook = f }

func step(format string, args ...any) {
	if commitHook != nil {
		commitHook(fmt.Sprintf(format, args...))
	}
}

// NewStaging recovers what killed runs left in the folder out (see
// Recover), checks that the outputs may be written and creates the staging
// folder. Without force, any existing output is refused before any work;
// with force, a folder output is refused unless everything in it is one a
// run writes. Outputs outside out must have absolute paths in existing
// folders.
func NewStaging(out string, outputs []Output, force bool) (*Staging, error) {
	fi, statErr := os.Stat(out)
	if statErr == nil && !fi.IsDir() {
		return nil, fmt.Errorf("%w: output folder %s is a file", ErrOutDir, out)
	}
	s := &Staging{out: out, outputs: outputs, force: force, created: errors.Is(statErr, fs.ErrNotExist)}
	if statErr == nil {
		rec, err := Recover(out)
		s.Recovered = rec
		if err != nil {
			return nil, err
		}
	}
	if err := s.checkOutputs(); err != nil {
		return nil, err
	}
	if err := s.inTheWay(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("%w: output folder %s cannot be created: %w", ErrOutDir, out, err)
	}
	dir, lock, err := createLocked(out)
	if err != nil {
		return nil, fmt.Errorf("%w: output folder %s cannot be written: %w", ErrOutDir, out, err)
	}
	s.dir, s.lock = dir, lock
	s.id = strings.TrimPrefix(filepath.Base(dir), StagingPrefix)
	for _, e := range s.entries(false) {
		if !filepath.IsAbs(e.Staged) {
			if err := os.MkdirAll(filepath.Dir(s.abs(e.Staged)), 0o755); err != nil {
				return nil, errors.Join(fmt.Errorf("%w: %w", ErrOutDir, err), s.Abort())
			}
		}
	}
	// The plan names what will be staged outside the folder before any of
	// it exists, so that a recovery can remove it.
	err = writeJournal(filepath.Join(dir, planName), journal{Version: journalVersion, Entries: s.entries(true)})
	if err == nil {
		err = s.busy()
	}
	if err != nil {
		return nil, errors.Join(err, s.Abort())
	}
	return s, nil
}

// checkOutputs refuses outputs named twice or inside one another, and
// outputs with an absolute path outside an existing folder.
func (s *Staging) checkOutputs() error {
	for i, o := range s.outputs {
		if !filepath.IsAbs(o.Name) {
			if o.Name == "" || strings.ContainsAny(o.Name, `/\`) {
				return fmt.Errorf("%w: output %q: want a name in the output folder or an absolute path", ErrOutDir, o.Name)
			}
			continue
		}
		if fi, err := os.Stat(filepath.Dir(o.Name)); err != nil || !fi.IsDir() {
			return fmt.Errorf("%w: the folder of %s does not exist", ErrOutDir, o.Name)
		}
		for j, other := range s.outputs {
			if i != j && Within(s.target(other), o.Name) {
				if filepath.Clean(s.target(other)) == filepath.Clean(o.Name) {
					return fmt.Errorf("%w: %s is named as two outputs", ErrOutDir, o.Name)
				}
				return fmt.Errorf("%w: %s would be inside the output %s", ErrOutDir, o.Name, s.target(other))
			}
		}
	}
	return nil
}

// Within reports whether path is dir or inside it, comparing absolute
// cleaned paths.
func Within(dir, path string) bool {
	d, err1 := filepath.Abs(dir)
	p, err2 := filepath.Abs(path)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// elsewhere reports whether o is outside the output folder.
func (s *Staging) elsewhere(o Output) bool { return filepath.IsAbs(o.Name) && !Within(s.out, o.Name) }

func (s *Staging) target(o Output) string {
	if filepath.IsAbs(o.Name) {
		return o.Name
	}
	return filepath.Join(s.out, o.Name)
}

// entries lists the moves of the commit; with elsewhereOnly, only those of
// outputs outside the output folder.
func (s *Staging) entries(elsewhereOnly bool) []entry {
	var es []entry
	rel := filepath.Base(s.dir)
	for _, o := range s.outputs {
		if s.elsewhere(o) {
			base := StagingPrefix + s.id + "." + filepath.Base(o.Name)
			dir := filepath.Dir(o.Name)
			es = append(es, entry{Target: o.Name, Staged: filepath.Join(dir, base), Aside: filepath.Join(dir, base+".replaced")})
			continue
		}
		if elsewhereOnly {
			continue
		}
		name := o.Name
		if filepath.IsAbs(name) {
			name, _ = filepath.Rel(s.out, name)
		}
		es = append(es, entry{Target: name, Staged: filepath.Join(rel, name), Aside: filepath.Join(rel, replacedDir, name)})
	}
	return es
}

// Path is where output name is written before it is committed: inside the
// staging folder, or, for an output elsewhere, beside its target.
func (s *Staging) Path(name string) string {
	for _, e := range s.entries(true) {
		if e.Target == name {
			return e.Staged
		}
	}
	return filepath.Join(s.dir, name)
}

// inTheWay refuses existing outputs without force, and with force anything
// in the way that a run does not write.
func (s *Staging) inTheWay() error {
	var exist []string
	for _, o := range s.outputs {
		target := s.target(o)
		fi, err := os.Lstat(target)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrOutDir, err)
		}
		if !s.force {
			exist = append(exist, o.Name)
			continue
		}
		if err := owned(target, fi, o.Owns); err != nil {
			return err
		}
	}
	if len(exist) > 0 {
		return fmt.Errorf("%w: %s already holds %s (use --force to replace)", ErrExists, s.out, strings.Join(exist, ", "))
	}
	return nil
}

// owned refuses to replace target unless it is what a run writes there: a
// file for a file output, and a folder holding only owned entries for a
// folder output.
func owned(target string, fi fs.FileInfo, owns func(string, bool) bool) error {
	refuse := func(why string) error {
		return fmt.Errorf("%w: %s %s, which hardneg does not write; --force replaces only hardneg's outputs: move it away, or write elsewhere", ErrExists, target, why)
	}
	if owns == nil {
		if fi.IsDir() {
			return refuse("is a folder")
		}
		return nil
	}
	if !fi.IsDir() {
		return refuse("is not a folder")
	}
	return filepath.WalkDir(target, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == target {
			return nil
		}
		rel, _ := filepath.Rel(target, p)
		rel = filepath.ToSlash(rel)
		if d.Type()&fs.ModeSymlink != 0 || !(d.IsDir() || d.Type().IsRegular()) || !owns(rel, d.IsDir()) {
			return refuse("holds " + rel)
		}
		return nil
	})
}

// busy refuses to write beside another live run's staging folder.
func (s *Staging) busy() error {
	entries, err := os.ReadDir(s.out)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOutDir, err)
	}
	for _, e := range entries {
		path := filepath.Join(s.out, e.Name())
		if !e.IsDir() || !strings.HasPrefix(e.Name(), StagingPrefix) || path == s.dir {
			continue
		}
		if st := probe(path); st.live {
			return fmt.Errorf("%w: another hardneg run%s is writing into %s (its staging folder is %s); wait for it, or write elsewhere",
				ErrBusy, st.owner, s.out, e.Name())
		}
	}
	return nil
}

// Commit moves every output into place. It first checks again what is in
// the way, syncs the staged outputs and writes the journal; then it moves
// the existing outputs aside into the staging folder and the new ones into
// place; if a move fails, what was moved is put back. A crash between the
// journal and the end leaves the journal, and Recover finishes the commit.
func (s *Staging) Commit() error {
	if err := s.inTheWay(); err != nil {
		return err
	}
	es := s.entries(false)
	for _, e := range es {
		if _, err := os.Lstat(s.abs(e.Staged)); err != nil {
			return fmt.Errorf("commit outputs: %w", err)
		}
	}
	if err := syncTree(s.dir); err != nil {
		return fmt.Errorf("commit outputs: %w", err)
	}
	for _, e := range s.entries(true) {
		if err := syncTree(e.Staged); err != nil {
			return fmt.Errorf("commit outputs: %w", err)
		}
	}
	if err := os.Mkdir(filepath.Join(s.dir, replacedDir), 0o755); err != nil {
		return fmt.Errorf("commit outputs: %w", err)
	}
	step("write journal")
	if err := writeJournal(filepath.Join(s.dir, journalName), journal{Version: journalVersion, Entries: es}); err != nil {
		return fmt.Errorf("commit outputs: write journal: %w", err)
	}
	var movedAside, placed []entry
	rollback := func(cause error) error {
		var errs []error
		for _, e := range placed {
			errs = append(errs, os.Rename(s.abs(e.Target), s.abs(e.Staged)))
		}
		for _, e := range movedAside {
			errs = append(errs, os.Rename(s.abs(e.Aside), s.abs(e.Target)))
		}
		if err := errors.Join(errs...); err != nil {
			s.unresolved = true
			return fmt.Errorf("%w: commit outputs: %w; putting the earlier outputs back failed too (%v): they are in %s, and 'hardneg recover %s' finishes the commit",
				ErrRecover, cause, err, s.dir, s.out)
		}
		if err := os.Remove(filepath.Join(s.dir, journalName)); err != nil {
			s.unresolved = true
			return fmt.Errorf("%w: commit outputs: %w; the journal in %s could not be removed: %v", ErrRecover, cause, s.dir, err)
		}
		return fmt.Errorf("commit outputs: %w", cause)
	}
	for _, e := range es {
		if err := os.MkdirAll(filepath.Dir(s.abs(e.Aside)), 0o755); err != nil {
			return fmt.Errorf("commit outputs: %w", err)
		}
	}
	for _, e := range es {
		if _, err := os.Lstat(s.abs(e.Target)); err == nil {
			step("move aside %s", e.Target)
			if err := os.Rename(s.abs(e.Target), s.abs(e.Aside)); err != nil {
				return rollback(err)
			}
			movedAside = append(movedAside, e)
		}
	}
	for _, e := range es {
		step("place %s", e.Target)
		if err := os.Rename(s.abs(e.Staged), s.abs(e.Target)); err != nil {
			return rollback(err)
		}
		placed = append(placed, e)
	}
	syncDirs(s.out, es)
	step("remove journal")
	if err := os.Remove(filepath.Join(s.dir, journalName)); err != nil {
		// Every output is in place; a recovery will find nothing to move.
		return fmt.Errorf("commit outputs: remove journal: %w", err)
	}
	syncDir(s.dir)
	step("clean up")
	return s.cleanup()
}

// abs resolves a journal path against the output folder.
func (s *Staging) abs(p string) string { return resolve(s.out, p) }

func resolve(out, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(out, p)
}

// cleanup removes the staging folder, what it staged elsewhere and the
// earlier outputs it moved aside, and drops the lock.
func (s *Staging) cleanup() error {
	if s.dir == "" {
		return nil
	}
	err := removeStaging(s.dir, s.lock, s.entries(true))
	s.dir, s.lock = "", nil
	return err
}

// removeStaging removes a staging folder whose lock f the caller holds,
// and the outputs it staged or moved aside elsewhere.
func removeStaging(dir string, f *os.File, elsewhere []entry) error {
	var errs []error
	for _, e := range elsewhere {
		for _, p := range []string{e.Staged, e.Aside} {
			if err := os.RemoveAll(p); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if f != nil && !removeWhileLocked {
		f.Close()
	}
	if err := os.RemoveAll(dir); err != nil {
		errs = append(errs, fmt.Errorf("remove staging folder: %w", err))
	}
	if f != nil && removeWhileLocked {
		f.Close()
	}
	return errors.Join(errs...)
}

// Abort cleans up after a failed run, and removes the output folder too
// when this run created it and it is still empty. After a commit that
// could not be undone it leaves the staging folder for Recover.
func (s *Staging) Abort() error {
	if s.unresolved {
		if s.lock != nil {
			s.lock.Close()
		}
		s.dir, s.lock = "", nil
		return nil
	}
	err := s.cleanup()
	if s.created {
		_ = os.Remove(s.out) // fails, harmlessly, unless empty
	}
	return err
}

// createLocked creates a staging folder in out and locks the lock file in
// it. A recovery may remove a folder in the instant before its lock exists
// (it cannot tell it from a dead run's); the lock is then on a removed
// file, and the folder is made again.
func createLocked(out string) (string, *os.File, error) {
	for attempt := 0; ; attempt++ {
		dir, err := os.MkdirTemp(out, StagingPrefix)
		if err != nil {
			return "", nil, err
		}
		path := filepath.Join(dir, lockName)
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && attempt < 10 {
				continue
			}
			os.RemoveAll(dir)
			return "", nil, err
		}
		// Without locks (some network file systems) the folder is still
		// used; a recovery then reports it rather than removing it.
		_ = lockFile(f)
		if !sameFile(f, path) {
			f.Close()
			if attempt < 10 {
				continue
			}
			return "", nil, fmt.Errorf("staging folder %s was removed while it was being made", dir)
		}
		fmt.Fprintf(f, "%d\n", os.Getpid())
		return dir, f, nil
	}
}

// CreatePartial creates a hidden file in dir, named StagingPrefix*
// PartialSuffix, for one output written whole and renamed into place, and
// locks it until it is closed: Recover removes such a file only when no
// process holds it, that is when the run that wrote it was killed.
func CreatePartial(dir string) (*os.File, error) {
	for attempt := 0; ; attempt++ {
		f, err := os.CreateTemp(dir, StagingPrefix+"*"+PartialSuffix)
		if err != nil {
			return nil, err
		}
		_ = lockFile(f)
		if sameFile(f, f.Name()) {
			return f, nil
		}
		f.Close()
		if attempt >= 10 {
			return nil, fmt.Errorf("%s was removed while it was being made", f.Name())
		}
	}
}

// CommitPartial makes f, from CreatePartial and fully written, readable by
// all, syncs and closes it, and renames it to path. On error it removes
// the file.
func CommitPartial(f *os.File, path string) error {
	err := f.Chmod(0o644) // CreateTemp makes it 0600
	if err == nil {
		err = f.Sync()
	}
	// Renamed while still locked where an open file can be renamed.
	closed := false
	if !removeWhileLocked {
		err, closed = errors.Join(err, f.Close()), true
	}
	if err == nil {
		step("place %s", filepath.Base(path))
		err = os.Rename(f.Name(), path)
	}
	if !closed {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		os.Remove(f.Name())
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// sameFile reports whether path still names the file f is open on.
func sameFile(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Lstat(path)
	return err1 == nil && err2 == nil && os.SameFile(a, b)
}

// writeJournal writes j to path in one rename, synced.
func writeJournal(path string, j journal) error {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	syncDir(filepath.Dir(path))
	return nil
}

// readJournal reads a journal; ok is false when there is none.
func readJournal(path string) (j journal, ok bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return j, false, nil
	}
	if err != nil {
		return j, false, err
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return j, false, fmt.Errorf("%s: %w", path, err)
	}
	if j.Version != journalVersion {
		return j, false, fmt.Errorf("%s: journal version %d; this hardneg reads version %d", path, j.Version, journalVersion)
	}
	return j, true, nil
}

// syncTree syncs every file under root (or root itself, a file), then the
// folders, so that a power loss after the journal cannot lose what it
// names.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			syncDir(p)
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		err = f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// syncDir syncs a folder's entries; some systems cannot, and that is not
// an error.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
}

// syncDirs syncs the folders that a commit changed.
func syncDirs(out string, es []entry) {
	syncDir(out)
	for _, e := range es {
		if filepath.IsAbs(e.Target) {
			syncDir(filepath.Dir(e.Target))
		}
	}
}
