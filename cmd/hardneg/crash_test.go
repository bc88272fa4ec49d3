//go:build unix

package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/output"
	"github.com/hardneg/hardneg/source"
)

// slowTests turns on the long forms of the crash tests (more kill points).
var slowTests = os.Getenv("HARDNEG_SLOW_TESTS") != ""

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// hardnegBinary builds the hardneg binary once per test run, with the go
// command that runs the tests.
func hardnegBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds hardneg and runs it as a child process")
	}
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "hardneg-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "hardneg")
		build := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", binPath, "github.com/hardneg/hardneg/cmd/hardneg")
		if b, err := build.CombinedOutput(); err != nil {
			binErr = errors.New("go build: " + err.Error() + "\n" + string(b))
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// comparableTree is listTree with the stats file's timings left out, the
// one part of two runs' outputs that differs.
func comparableTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	tree := listTree(t, dir)
	if s, ok := tree[mine.StatsFile]; ok {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("%s: %v", mine.StatsFile, err)
		}
		delete(m, "timings_seconds")
		b, _ := json.Marshal(m)
		tree[mine.StatsFile] = string(b)
	}
	return tree
}

// writeTree makes dir hold tree (as listTree returns it).
func writeTree(t *testing.T, dir string, tree map[string]string) {
	t.Helper()
	for name, content := range tree {
		p := filepath.Join(dir, name)
		if content == "/" {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestKillDuringCommit kills a real hardneg process with SIGKILL at every
// step of its commit (each rename is delayed through
// HARDNEG_TEST_COMMIT_DELAY, which names the step on stderr), and checks
// that after the kill and a recovery, by 'hardneg recover' or by the next
// run into the folder, the output folder holds the complete earlier
// outputs or the complete new ones: never a mix, never nothing, and no
// leftovers. The next run without --force must then refuse the outputs
// that exist. HARDNEG_SLOW_TESTS=1 kills at three offsets within each
// step, and kills the recovery too.
func TestKillDuringCommit(t *testing.T) {
	bin := hardnegBinary(t)
	data := synthData(t, "--terms", "400", "--dim", "16", "--anchors", "80")
	root := t.TempDir()
	mineArgs := func(out string, extra ...string) []string {
		return append([]string{"mine", "--data-dir", data, "--out", out, "-q", "--parquet", "--threads", "1"}, extra...)
	}
	ref := filepath.Join(root, "old")
	runBin(t, bin, mineArgs(ref)...)
	oldTree := listTree(t, ref)
	oldCmp := comparableTree(t, ref)
	runBin(t, bin, mineArgs(filepath.Join(root, "new"), "--seed", "7")...)
	newCmp := comparableTree(t, filepath.Join(root, "new"))
	if maps.Equal(oldCmp, newCmp) {
		t.Fatal("the two runs wrote the same outputs")
	}

	const delay = 60 * time.Millisecond
	// Count the steps of one commit.
	count := filepath.Join(root, "count")
	writeTree(t, count, oldTree)
	cmd := exec.Command(bin, mineArgs(count, "--seed", "7", "--force")...)
	cmd.Env = append(os.Environ(), "HARDNEG_TEST_COMMIT_DELAY=0s")
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	steps := strings.Count(string(b), "commit step: ")
	if steps < 12 { // journal, 5 moves aside, 5 placements, journal removal, clean-up
		t.Fatalf("%d commit steps:\n%s", steps, b)
	}
	offsets := []time.Duration{delay / 2}
	if slowTests {
		offsets = []time.Duration{0, delay / 3, 2 * delay / 3}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	kills := 0
	for k := range steps {
		for _, off := range offsets {
			out := filepath.Join(root, "kill", time.Now().Format("150405.000000000"))
			writeTree(t, out, oldTree)
			log := killAtStep(t, bin, mineArgs(out, "--seed", "7", "--force"), k, off+time.Duration(rng.Int64N(int64(delay/10))), delay)
			kills++
			if slowTests && rng.IntN(2) == 0 {
				// Kill the recovery too, at some step.
				killAtStep(t, bin, []string{"recover", out}, rng.IntN(4), delay/2, delay)
			}
			var recovered string
			if kills%2 == 0 {
				recovered = runBinOutput(t, bin, "recover", out)
			} else {
				c := exec.Command(bin, mineArgs(out)...)
				b, err := c.CombinedOutput()
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != exitOutputExist {
					t.Fatalf("the next run without --force after a kill at step %d: %v, want exit %d\n%s", k, err, exitOutputExist, b)
				}
				recovered = string(b)
			}
			got := comparableTree(t, out)
			for name := range got {
				if strings.Contains(name, output.StagingPrefix) {
					t.Errorf("kill at step %d: %s left behind", k, name)
				}
			}
			switch {
			case maps.Equal(got, oldCmp):
				if k > 0 {
					t.Errorf("kill at step %d (after the journal) left the earlier outputs, want the new ones", k)
				}
			case maps.Equal(got, newCmp):
			default:
				t.Fatalf("kill at step %d left neither the earlier nor the new outputs: %v\nthe run:\n%s\nthe recovery:\n%s",
					k, sortedKeys(got), log, recovered)
			}
		}
	}
	t.Logf("%d kills, each followed by a recovery", kills)
}

// killAtStep runs hardneg with the commit hook, waits for its step k, then
// for off, and kills it with SIGKILL. It returns the child's stderr.
func killAtStep(t *testing.T, bin string, args []string, k int, off, delay time.Duration) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HARDNEG_TEST_COMMIT_DELAY="+delay.String())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log lockedBuffer
	reached := make(chan struct{})
	waited := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		n := 0
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "commit step: ") {
				if n == k {
					close(reached)
				}
				n++
			}
		}
		waited <- cmd.Wait()
	}()
	select {
	case <-reached:
		time.Sleep(off)
		cmd.Process.Signal(syscall.SIGKILL)
		<-waited
	case err := <-waited:
		// A recovery with fewer steps than k ends on its own.
		if len(args) == 0 || args[0] != "recover" {
			t.Fatalf("hardneg %s ended (%v) before commit step %d:\n%s", strings.Join(args, " "), err, k, log.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("hardneg did not reach commit step %d within 60 s:\n%s", k, log.String())
	}
	return log.String()
}

func runBinOutput(t *testing.T, bin string, args ...string) string {
	t.Helper()
	b, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("hardneg %s: %v\n%s", strings.Join(args, " "), err, b)
	}
	return string(b)
}

// TestKilledShardTaskIsRetried kills a shard task with SIGKILL just before
// it renames its shard file into place, as a batch system's preemption
// would, then retries it as Kubernetes or Slurm would. The killed task's
// temporary file never looks like a shard to merge; the retry removes it;
// and the merge of the retried shards is the unsharded run's outputs.
func TestKilledShardTaskIsRetried(t *testing.T) {
	bin := hardnegBinary(t)
	data := synthData(t, "--terms", "400", "--dim", "16", "--anchors", "80")
	shards := t.TempDir()
	shard := func(k string, extra ...string) []string {
		return append([]string{"mine", "--data-dir", data, "--out", shards, "--shard", k + "/2"}, extra...)
	}
	log := killAtStep(t, bin, shard("0"), 0, 0, 10*time.Second)
	left := listTree(t, shards)
	if len(left) != 2 {
		t.Fatalf("the killed task left %v:\n%s", sortedKeys(left), log)
	}
	for name, content := range left {
		if name == "." {
			continue
		}
		if !strings.HasPrefix(name, output.StagingPrefix) || strings.HasSuffix(name, mine.ShardExt) || len(content) == 0 {
			t.Fatalf("the killed task left %s (%d bytes), which is not a hidden temporary", name, len(content))
		}
	}
	// Merge ignores hidden files: the temporary, and a stray copy.
	copyFile(t, filepath.Join(data, source.TermsFile), filepath.Join(shards, ".shard-00000-of-00002"+mine.ShardExt))
	// The next task into the folder (here shard 1) removes what the
	// killed one left; a live task's file is locked and kept.
	if next := runBinOutput(t, bin, shard("1")...); !strings.Contains(next, "left by a run killed while writing it") {
		t.Errorf("the next task did not report the killed task's file:\n%s", next)
	}
	if err, _ := runErr("merge", "--out", t.TempDir(), "-q", shards); exitCode(err) != exitInput || !strings.Contains(err.Error(), "missing shard 0 of 2") {
		t.Fatalf("merge with shard 0 killed: %v, want the missing shard named", err)
	}
	runBin(t, bin, shard("0", "--force")...)
	for name := range listTree(t, shards) {
		if strings.HasPrefix(name, output.StagingPrefix) {
			t.Errorf("%s is still there after the retry", name)
		}
	}
	merged, full := filepath.Join(t.TempDir(), "merged"), t.TempDir()
	runBin(t, bin, "merge", "--out", merged, "-q", shards)
	runBin(t, bin, "mine", "--data-dir", data, "--out", full, "-q")
	want, got := treeBytes(t, full), treeBytes(t, merged)
	if len(want) != len(got) {
		t.Fatalf("the unsharded run wrote %d files, the merge %d", len(want), len(got))
	}
	for name, b := range want {
		if string(b) != string(got[name]) {
			t.Errorf("%s differs between the unsharded run and the merge", name)
		}
	}
}
