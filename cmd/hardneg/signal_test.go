//go:build unix

package main

import (
	"bufio"
	"bytes"
	"errors"
	"maps"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSignalLeavesEarlierOutputs interrupts a real hardneg process in the
// middle of its scan and checks what main promises: exit code 130 for
// SIGINT and 143 for SIGTERM, soon after the signal, the earlier outputs
// byte for byte as they were, and no staging folder left behind.
//
// It is not parallel: it times the child's exit, and the child uses every
// core for its scan.
func TestSignalLeavesEarlierOutputs(t *testing.T) {
	start := time.Now()
	bin := hardnegBinary(t)
	t.Logf("built hardneg in %s", elapsed(start))

	// Big enough that the interrupted run's scan takes about two seconds
	// on two threads (capped at two, so that a bigger machine does not
	// finish it before the signal lands).
	data, out := t.TempDir(), t.TempDir()
	runBin(t, bin, "synth", "--out", data, "--terms", "30000", "--dim", "512", "--anchors", "10000")
	start = time.Now()
	runBin(t, bin, "mine", "--data-dir", data, "--out", out, "-q")
	t.Logf("mined the earlier outputs in %s", elapsed(start))
	before := listTree(t, out)
	if len(before) < 5 {
		t.Fatalf("the earlier run wrote only %v", sortedKeys(before))
	}

	for _, tc := range []struct {
		name string
		sig  syscall.Signal
		code int
		msg  string
	}{
		{"SIGINT", syscall.SIGINT, exitSIGINT, "hardneg: interrupted; earlier outputs left as they were"},
		{"SIGTERM", syscall.SIGTERM, exitSIGTERM, "hardneg: terminated; earlier outputs left as they were"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, "mine", "--data-dir", data, "--out", out, "--force", "--seed", "7", "--threads", "2")
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// The run logs "normalised ..." just before the scan starts.
			// One goroutine reads stderr to the end and then waits for the
			// child, since Wait closes the pipe.
			scanning := make(chan struct{})
			var log lockedBuffer
			waited := make(chan error, 1)
			go func() {
				sc := bufio.NewScanner(stderr)
				for started := false; sc.Scan(); {
					log.WriteString(sc.Text() + "\n")
					if !started && strings.HasPrefix(sc.Text(), "normalised") {
						started = true
						close(scanning)
					}
				}
				waited <- cmd.Wait()
			}()
			// Kill the child if the test fails before it has exited.
			exited := false
			defer func() {
				if !exited {
					cmd.Process.Kill()
					<-waited
				}
			}()
			select {
			case <-scanning:
			case err := <-waited:
				exited = true
				t.Fatalf("hardneg ended (%v) before the scan started:\n%s", err, log.String())
			case <-time.After(30 * time.Second):
				t.Fatal("hardneg did not start its scan within 30 s")
			}

			sent := time.Now()
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			var werr error
			select {
			case werr = <-waited:
				exited = true
			case <-time.After(10 * time.Second):
				t.Fatalf("hardneg still running %s after %v:\n%s", elapsed(sent), tc.sig, log.String())
			}
			took := time.Since(sent)
			t.Logf("exited %s after %v", took.Round(time.Millisecond), tc.sig)

			var ee *exec.ExitError
			if !errors.As(werr, &ee) || ee.ExitCode() != tc.code {
				t.Errorf("exit: %v, want exit code %d\n%s", werr, tc.code, log.String())
			}
			if took > 3*time.Second {
				t.Errorf("took %s to exit after %v, want under 3 s", took, tc.sig)
			}
			if strings.Contains(log.String(), "scanned ") {
				t.Errorf("the scan finished before the signal; the test needs a larger data set:\n%s", log.String())
			}
			if !strings.HasSuffix(log.String(), tc.msg+"\n") {
				t.Errorf("stderr does not end with %q:\n%s", tc.msg, log.String())
			}
			after := listTree(t, out)
			for name := range after {
				if strings.HasPrefix(filepath.Base(name), ".hardneg-tmp-") {
					t.Errorf("staging folder %s left behind", name)
				}
			}
			if !maps.Equal(after, before) {
				t.Errorf("the output folder changed: before %v, after %v", sortedKeys(before), sortedKeys(after))
			}
		})
	}
}

// runBin runs the built binary to completion.
func runBin(t *testing.T, bin string, args ...string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("hardneg %s: %v\n%s", strings.Join(args, " "), err, b)
	}
}

func elapsed(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

// lockedBuffer collects a child's stderr in one goroutine while the test
// may read it in another.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) WriteString(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.WriteString(s)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
