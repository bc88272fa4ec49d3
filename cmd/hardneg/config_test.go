package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPrintConfigRoundTrip runs mine with non-default settings, prints its
// config, runs again from that file alone (output folder overridden on the
// command line) and wants byte-identical outputs.
func TestPrintConfigRoundTrip(t *testing.T) {
	data := synthData(t)
	out1, out2 := t.TempDir(), t.TempDir()
	args := []string{"mine", "--data-dir", data, "--out", out1, "--hard-range", "0.7,0.85", "--easy-ratio", "0.4",
		"--medium-ratio", "0.3", "--hard-ratio", "0.3", "--seed", "7", "--quota", "notebook", "-n", "4", "--train-ratio", "0.8", "--val-ratio", "0.2"}
	runCLI(t, append(args, "-q")...)
	conf := filepath.Join(t.TempDir(), "run.yaml")
	if err := os.WriteFile(conf, []byte(runCLI(t, append(args, "--print-config")...)), 0o644); err != nil {
		t.Fatal(err)
	}
	runCLI(t, "mine", "--config", conf, "--out", out2, "-q")
	a, b := treeBytes(t, out1), treeBytes(t, out2)
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%d and %d files", len(a), len(b))
	}
	for name, content := range a {
		if !bytes.Equal(content, b[name]) {
			t.Errorf("%s differs after the round trip through --print-config", name)
		}
	}
	// The same file without the override would write into out1, which
	// exists: the file's own settings are in force.
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), &stdout, &stderr, []string{"mine", "--config", conf, "-q"})
	if exitCode(err) != exitOutputExist {
		t.Fatalf("rerun into the configured folder: %v (exit %d), want exit %d", err, exitCode(err), exitOutputExist)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, content, msg string }{
		{"unknown key", "seed: 1\nfrobnicate: 2\n", `line 2: "frobnicate" is not a setting`},
		{"bad value", "seed: -3\n", "line 1: seed"},
		{"not a mapping", "- seed\n", "want a mapping"},
		{"nested value", "seed:\n  a: 1\n", "line 2: seed: want a single value"},
		{"print-config in file", "print-config: true\n", "not a setting"},
		{"bad yaml", "seed: [1\n", "config"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(conf, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), &stdout, &stderr, []string{"mine", "--data-dir", t.TempDir(), "--config", conf})
			if exitCode(err) != exitUsage || !strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), conf) {
				t.Fatalf("error %v (exit %d), want exit %d naming %s and %q", err, exitCode(err), exitUsage, conf, tc.msg)
			}
		})
	}
}

func TestProgressLog(t *testing.T) {
	var buf bytes.Buffer
	p := &progressLog{w: &buf, every: 0}
	p.start(100)
	p.add(25)
	p.add(75) // the end is not reported: the stage line follows
	if got := buf.String(); !strings.HasPrefix(got, "scanned 25 of 100 anchors (25%), about ") || strings.Count(got, "\n") != 1 {
		t.Fatalf("progress log %q", got)
	}
	buf.Reset()
	p = &progressLog{w: &buf, every: time.Hour}
	p.start(100)
	p.add(50)
	if buf.Len() != 0 {
		t.Fatalf("progress logged before its interval: %q", buf.String())
	}
}
