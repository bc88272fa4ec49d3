package output

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// tree maps every path under dir to its content, "/" for a folder.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			m[rel] = "/"
			return nil
		}
		b, err := os.ReadFile(p)
		m[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ownsSub is a folder output's rule in these tests: files at its top, and
// one folder "sub".
func ownsSub(rel string, dir bool) bool {
	if dir {
		return rel == "sub"
	}
	return !strings.Contains(strings.TrimPrefix(rel, "sub/"), "/")
}

var testOutputs = []Output{{Name: "a.txt"}, {Name: "set", Owns: ownsSub}, {Name: "b.json"}}

// stage writes one version of the test outputs into a staging folder.
func stage(t *testing.T, s *Staging, version string) {
	t.Helper()
	write(t, s.Path("a.txt"), "a "+version)
	write(t, s.Path("b.json"), "b "+version)
	write(t, filepath.Join(s.Path("set"), "x"), "x "+version)
	write(t, filepath.Join(s.Path("set"), "sub", "y"), "y "+version)
}

func commitVersion(t *testing.T, out, version string, force bool) map[string]string {
	t.Helper()
	s, err := NewStaging(out, testOutputs, force)
	if err != nil {
		t.Fatal(err)
	}
	stage(t, s, version)
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	return tree(t, out)
}

// errCrash stands for a process killed at a step of the commit.
var errCrash = errors.New("crash")

// TestRecoverAfterCrashAtEveryStep stops a commit at each of its steps,
// as kill -9 would (nothing after the step runs, and the lock is gone),
// and checks that Recover leaves the complete earlier outputs when the
// journal was not yet written, and the complete new ones after, never a
// mix and never nothing; and that a later NewStaging recovers by itself.
func TestRecoverAfterCrashAtEveryStep(t *testing.T) {
	dir := t.TempDir()
	oldTree := commitVersion(t, filepath.Join(dir, "ref-old"), "old", false)
	newTree := commitVersion(t, filepath.Join(dir, "ref-new"), "new", false)
	var steps []string
	commitVersion(t, filepath.Join(dir, "count"), "old", false)
	SetCommitHook(func(s string) { steps = append(steps, s) })
	commitVersion(t, filepath.Join(dir, "count"), "new", true)
	SetCommitHook(nil)
	if len(steps) < 8 {
		t.Fatalf("steps %v", steps)
	}
	for k, name := range steps {
		for _, via := range []string{"Recover", "NewStaging"} {
			t.Run(name+"/"+via, func(t *testing.T) {
				out := filepath.Join(t.TempDir(), "out")
				commitVersion(t, out, "old", false)
				s, err := NewStaging(out, testOutputs, true)
				if err != nil {
					t.Fatal(err)
				}
				stage(t, s, "new")
				n := 0
				SetCommitHook(func(string) {
					if n == k {
						panic(errCrash)
					}
					n++
				})
				func() {
					defer func() {
						if r := recover(); r != errCrash {
							panic(r)
						}
					}()
					s.Commit()
				}()
				SetCommitHook(nil)
				s.lock.Close() // the kernel drops a killed process's lock
				want := newTree
				if k == 0 { // killed before the journal
					want = oldTree
				}
				switch via {
				case "Recover":
					report, err := Recover(out)
					if err != nil {
						t.Fatal(err)
					}
					t.Logf("%s", report)
				case "NewStaging":
					// Without force the next run recovers, then refuses
					// the outputs that exist.
					if _, err := NewStaging(out, testOutputs, false); !errors.Is(err, ErrExists) {
						t.Fatalf("the next run: %v, want ErrExists", err)
					}
				}
				if got := tree(t, out); !maps.Equal(got, want) {
					t.Errorf("after recovery:\n got %v\nwant %v", sorted(got), sorted(want))
				}
			})
		}
	}
}

func sorted(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// TestRecoverLeavesLiveRunsAlone checks that a staging folder whose owner
// is alive is neither removed nor recovered, and that a second run into
// the same folder is refused while the first is going.
func TestRecoverLeavesLiveRunsAlone(t *testing.T) {
	out := t.TempDir()
	s, err := NewStaging(out, testOutputs, false)
	if err != nil {
		t.Fatal(err)
	}
	stage(t, s, "new")
	report, err := Recover(out)
	if err != nil || len(report) != 1 || !strings.Contains(report[0], "a running hardneg") {
		t.Fatalf("Recover of a live run: %q, %v", report, err)
	}
	if _, err := os.Stat(s.Path("a.txt")); err != nil {
		t.Fatalf("Recover touched a live run: %v", err)
	}
	if _, err := NewStaging(out, testOutputs, false); !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "another hardneg run") {
		t.Fatalf("a second run beside a live one: %v, want ErrBusy", err)
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	for name := range tree(t, out) {
		if strings.HasPrefix(name, StagingPrefix) {
			t.Errorf("%s left behind", name)
		}
	}
}

// TestRecoverRemovesAbandonedStaging covers folders of runs killed before
// their commit, partial files, and an older hardneg's half-done commit,
// which must not be deleted.
func TestRecoverRemovesAbandonedStaging(t *testing.T) {
	out := t.TempDir()
	s, err := NewStaging(out, testOutputs, false)
	if err != nil {
		t.Fatal(err)
	}
	stage(t, s, "new")
	s.lock.Close()
	f, err := CreatePartial(out)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	live, err := CreatePartial(out)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	report, err := Recover(out)
	if err != nil || len(report) != 2 {
		t.Fatalf("Recover: %q, %v", report, err)
	}
	left := tree(t, out)
	if len(left) != 2 || left[filepath.Base(live.Name())] != "" {
		t.Fatalf("left %v; want only the live partial file", sorted(left))
	}

	// A journal-less folder with earlier outputs moved aside: an older
	// hardneg killed mid-commit. Its outputs must survive.
	old := filepath.Join(out, StagingPrefix+"123")
	write(t, filepath.Join(old, replacedDir, "a.txt"), "a old")
	if _, err := Recover(out); !errors.Is(err, ErrRecover) || !strings.Contains(err.Error(), "move back") {
		t.Fatalf("Recover of an older half-done commit: %v, want ErrRecover", err)
	}
	if _, err := NewStaging(out, testOutputs, false); !errors.Is(err, ErrRecover) {
		t.Fatalf("a run beside an older half-done commit: %v, want ErrRecover", err)
	}
	if b, err := os.ReadFile(filepath.Join(old, replacedDir, "a.txt")); err != nil || string(b) != "a old" {
		t.Fatalf("the earlier output was lost: %q, %v", b, err)
	}
}

// TestForceReplacesOnlyOwnOutputs: with force, a folder output is replaced
// only when it holds nothing but what a run writes there, and a file
// output never replaces a folder.
func TestForceReplacesOnlyOwnOutputs(t *testing.T) {
	for _, tc := range []struct {
		name, path string
		folder     bool
		want       string
	}{
		{"foreign file in a folder output", "set/raw/corpus.txt", false, "set holds raw"},
		{"foreign nested file", "set/sub/deeper/z", false, "set holds sub/deeper"},
		{"folder where a file goes", "a.txt/keep", false, "a.txt is a folder"},
		{"file where a folder goes", "set", false, "set is not a folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			write(t, filepath.Join(out, tc.path), "the user's")
			before := tree(t, out)
			_, err := NewStaging(out, testOutputs, true)
			if !errors.Is(err, ErrExists) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want ErrExists naming %q", err, tc.want)
			}
			if after := tree(t, out); !maps.Equal(before, after) {
				t.Errorf("a refused run changed the folder: %v", sorted(after))
			}
		})
	}
	// What a run wrote is replaced.
	out := t.TempDir()
	commitVersion(t, out, "old", false)
	if got := commitVersion(t, out, "new", true); got["a.txt"] != "a new" || got[filepath.Join("set", "sub", "y")] != "y new" {
		t.Fatalf("force did not replace the outputs: %v", sorted(got))
	}
}

// TestOutputsElsewhere stages an output outside the output folder and
// checks it is committed with the others, refused when it exists without
// force, and refused inside another output.
func TestOutputsElsewhere(t *testing.T) {
	out, other := t.TempDir(), t.TempDir()
	dump := filepath.Join(other, "dump.jsonl")
	outputs := append(slices.Clone(testOutputs), Output{Name: dump})
	s, err := NewStaging(out, outputs, false)
	if err != nil {
		t.Fatal(err)
	}
	stage(t, s, "new")
	if staged := s.Path(dump); filepath.Dir(staged) != other || !strings.HasPrefix(filepath.Base(staged), StagingPrefix) {
		t.Fatalf("staged at %s", staged)
	}
	write(t, s.Path(dump), "dump")
	if _, err := os.Stat(dump); err == nil {
		t.Fatal("the dump exists before the commit")
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, other); len(got) != 2 || got["dump.jsonl"] != "dump" {
		t.Fatalf("%v", sorted(got))
	}
	if _, err := NewStaging(out, []Output{{Name: dump}}, false); !errors.Is(err, ErrExists) {
		t.Fatalf("an existing output elsewhere: %v, want ErrExists", err)
	}
	for _, bad := range []string{filepath.Join(out, "set", "dump.jsonl"), filepath.Join(out, "a.txt"), filepath.Join(other, "no", "dump")} {
		if _, err := NewStaging(out, append(slices.Clone(testOutputs), Output{Name: bad}), true); !errors.Is(err, ErrOutDir) {
			t.Errorf("output %s: %v, want ErrOutDir", bad, err)
		}
	}
}

// TestRecoverAfterCrashDuringRecovery kills a commit, then kills its
// recovery at each step: the next recovery still finishes the commit.
func TestRecoverAfterCrashDuringRecovery(t *testing.T) {
	newTree := commitVersion(t, filepath.Join(t.TempDir(), "ref"), "new", false)
	crashAt := func(k int, f func()) (crashed bool) {
		n := 0
		SetCommitHook(func(string) {
			if n == k {
				panic(errCrash)
			}
			n++
		})
		defer SetCommitHook(nil)
		defer func() {
			if r := recover(); r != nil {
				if r != errCrash {
					panic(r)
				}
				crashed = true
			}
		}()
		f()
		return false
	}
	for j := 0; ; j++ {
		out := filepath.Join(t.TempDir(), "out")
		commitVersion(t, out, "old", false)
		s, err := NewStaging(out, testOutputs, true)
		if err != nil {
			t.Fatal(err)
		}
		stage(t, s, "new")
		if !crashAt(5, func() { s.Commit() }) { // after "move aside b.json": nothing placed yet
			t.Fatal("the commit did not reach step 5")
		}
		s.lock.Close()
		crashed := crashAt(j, func() { Recover(out) })
		if _, err := Recover(out); err != nil {
			t.Fatalf("recovery after a recovery killed at step %d: %v", j, err)
		}
		if got := tree(t, out); !maps.Equal(got, newTree) {
			t.Fatalf("recovery killed at step %d, then recovered:\n got %v\nwant %v", j, sorted(got), sorted(newTree))
		}
		if !crashed {
			break
		}
	}
}
