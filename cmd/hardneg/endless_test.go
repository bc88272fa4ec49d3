//go:build unix

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/source"
)

// TestEndlessInputsAreRefused feeds /dev/zero as the pairs, the term list,
// the embeddings and the config file, and an endless stream of valid
// pairs: each must end quickly in a clear error that names the file (exit
// 3, or 2 for the config), never in running out of memory.
func TestEndlessInputsAreRefused(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		code       int
		want       error
		where      string
	}{
		{"pairs", source.PairsFile, exitInput, source.ErrNotText, "line 1: not a text file: a NUL byte at column 1"},
		{"term list", source.TermsFile, exitInput, source.ErrTerms, "byte 0: want a JSON array of strings, found a NUL byte"},
		{"embeddings", source.EmbeddingsFile, exitInput, mine.ErrInput, "not a regular file"},
		{"config", "run.yaml", exitUsage, nil, "byte 0: a NUL byte"},
	} {
		t.Run("/dev/zero as "+tc.name, func(t *testing.T) {
			data := tinyData(t)
			path := filepath.Join(data, tc.file)
			os.Remove(path)
			if err := os.Symlink("/dev/zero", path); err != nil {
				t.Fatal(err)
			}
			args := []string{"mine", "--data-dir", data, "--out", t.TempDir(), "-q"}
			if tc.name == "config" {
				args = append(args, "--config", path)
			}
			start := time.Now()
			err, _ := runErr(args...)
			if exitCode(err) != tc.code || (tc.want != nil && !errors.Is(err, tc.want)) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), tc.where) {
				t.Fatalf("%v (exit %d), want exit %d naming %s and %q", err, exitCode(err), tc.code, path, tc.where)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %s", took)
			}
			t.Logf("hardneg: %v", err)
		})
	}
	t.Run("an endless stream of pairs", func(t *testing.T) {
		defer func(n int64) { source.MaxFileBytes = n }(source.MaxFileBytes)
		source.MaxFileBytes = 4 << 20
		data := tinyData(t)
		fifo := filepath.Join(t.TempDir(), "pairs")
		if err := syscall.Mkfifo(fifo, 0o644); err != nil {
			t.Fatal(err)
		}
		go func() {
			f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
			if err != nil {
				return
			}
			defer f.Close()
			line := []byte(`{"source": "야당", "target": "야당정치인"}` + "\n")
			for {
				if _, err := f.Write(line); err != nil {
					return // the reader gave up
				}
			}
		}()
		err, _ := runErr("mine", "--data-dir", data, "--pairs", fifo, "--out", t.TempDir(), "-q")
		if exitCode(err) != exitInput || !errors.Is(err, source.ErrTooLarge) || !strings.Contains(err.Error(), fifo) || !strings.Contains(err.Error(), "more than 4 MiB") {
			t.Fatalf("%v (exit %d), want exit %d naming %s", err, exitCode(err), exitInput, fifo)
		}
		t.Logf("hardneg: %v", err)
	})
}

// TestCrashIsNotBadFlags: a crash of the Go runtime (here a panic that a
// test hook sets off in a goroutine) must not end with exit status 2,
// which --help gives to bad flags: hardneg ends by SIGABRT (134), as
// --help says, and leaves no core file.
func TestCrashIsNotBadFlags(t *testing.T) {
	bin := hardnegBinary(t)
	dir := t.TempDir()
	cmd := exec.Command(bin, "mine", "--data-dir", tinyData(t), "--out", filepath.Join(dir, "out"))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HARDNEG_TEST_PANIC=on purpose")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("%v\n%s", err, out)
	}
	ws := ee.Sys().(syscall.WaitStatus)
	if ee.ExitCode() == exitUsage || !ws.Signaled() || ws.Signal() != syscall.SIGABRT {
		t.Fatalf("a crash ended with %v (exit code %d), want SIGABRT\n%s", err, ee.ExitCode(), out)
	}
	if !strings.Contains(string(out), "panic: hardneg test crash: on purpose") {
		t.Errorf("no trace:\n%s", out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 && entries[0].Name() != "out" {
		t.Errorf("the crash left %s", entries[0].Name())
	}
	help := runCLI(t, "--help")
	if !strings.Contains(help, "134  hardneg crashed") {
		t.Errorf("--help does not document the crash:\n%s", help)
	}
}
