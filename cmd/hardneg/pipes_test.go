//go:build unix

package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/source"
)

// feedFIFO makes a named pipe at path and writes content into it once a
// reader opens it, as a shell's <(...) would.
func feedFIFO(t *testing.T, path string, content []byte) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		f.Write(content)
		f.Close()
	}()
}

// TestInputsFromPipes reads the pairs and the term list from named pipes,
// several times: each input must be read once, parsed whole and hashed as
// read, so every run gives the outputs of the same files read from disk,
// and the stats file records their size and SHA-256. An embedding matrix
// from a pipe is refused with a clear message, since it is mapped; so is a
// corpus, which is read again for its texts, while queries and qrels from
// pipes give the run on files.
func TestInputsFromPipes(t *testing.T) {
	data := synthData(t, "--terms", "2000", "--dim", "16", "--anchors", "600")
	ref := t.TempDir()
	runCLI(t, "mine", "--data-dir", data, "--out", ref, "-q")
	want := treeBytes(t, ref)
	pairs, err := os.ReadFile(filepath.Join(data, source.PairsFile))
	if err != nil {
		t.Fatal(err)
	}
	terms, err := os.ReadFile(filepath.Join(data, source.TermsFile))
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		dir, out := t.TempDir(), t.TempDir()
		p, tl := filepath.Join(dir, "pairs"), filepath.Join(dir, "terms")
		feedFIFO(t, p, pairs)
		feedFIFO(t, tl, terms)
		done := make(chan error, 1)
		go func() {
			err, _ := runErr("mine", "--pairs", p, "--terms", tl, "--embeddings", filepath.Join(data, source.EmbeddingsFile), "--out", out, "-q")
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run %d: %v", i, err)
			}
		case <-time.After(time.Minute):
			t.Fatalf("run %d: still reading the pipes after a minute (a second reader waits for a writer that is gone)", i)
		}
		got := treeBytes(t, out)
		for name, b := range want {
			if name == mine.StatsFile {
				continue // it names the pipes
			}
			if string(got[name]) != string(b) {
				t.Fatalf("run %d: %s differs from the run on regular files", i, name)
			}
		}
		var st struct {
			Pairs  source.PairStats `json:"pairs"`
			Inputs struct {
				Pairs, Terms mine.FileStats
			} `json:"inputs"`
		}
		if err := json.Unmarshal(got[mine.StatsFile], &st); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]struct {
			content []byte
			fs      mine.FileStats
		}{"pairs": {pairs, st.Inputs.Pairs}, "terms": {terms, st.Inputs.Terms}} {
			content, fs := c.content, c.fs
			sum := sha256.Sum256(content)
			if fs.Bytes != int64(len(content)) || fs.SHA256 != hex.EncodeToString(sum[:]) {
				t.Fatalf("run %d: %s recorded as %d bytes, SHA-256 %s; the pipe gave %d bytes, %x", i, name, fs.Bytes, fs.SHA256, len(content), sum)
			}
		}
		if st.Pairs.Lines != strings.Count(string(pairs), "\n") {
			t.Fatalf("run %d: %d pair lines read of %d", i, st.Pairs.Lines, strings.Count(string(pairs), "\n"))
		}
	}
	dir := t.TempDir()
	emb, err := os.ReadFile(filepath.Join(data, source.EmbeddingsFile))
	if err != nil {
		t.Fatal(err)
	}
	e := filepath.Join(dir, "emb")
	feedFIFO(t, e, emb)
	err, _ = runErr("mine", "--data-dir", data, "--embeddings", e, "--out", t.TempDir(), "-q")
	if exitCode(err) != exitInput || !strings.Contains(err.Error(), "not a regular file") || !strings.Contains(err.Error(), e) {
		t.Fatalf("embeddings from a pipe: %v (exit %d), want exit %d naming the file", err, exitCode(err), exitInput)
	}
	os.OpenFile(e, os.O_RDONLY|syscall.O_NONBLOCK, 0) // let the writer go

	// Queries against a corpus: the queries and qrels may be pipes; the
	// corpus, read again for the texts of the rows written, must be a file.
	beir := beirDir(t)
	ref = t.TempDir()
	runCLI(t, "mine", "--beir-dir", beir, "--out", ref, "-q")
	dir = t.TempDir()
	args := []string{"mine", "--beir-dir", beir, "--out", t.TempDir(), "-q"}
	for _, f := range []struct{ flag, name string }{{"--queries", beirQueries}, {"--qrels", beirQrels}} {
		b, err := os.ReadFile(filepath.Join(beir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		fifo := filepath.Join(dir, filepath.Base(f.name))
		feedFIFO(t, fifo, b)
		args = append(args, f.flag, fifo)
	}
	out := args[4]
	runCLI(t, args...)
	for _, name := range []string{"train_triplets.jsonl", "val_triplets.jsonl"} {
		if string(treeBytes(t, out)[name]) != string(treeBytes(t, ref)[name]) {
			t.Errorf("%s differs with the queries and qrels from pipes", name)
		}
	}
	corpus, err := os.ReadFile(filepath.Join(beir, beirCorpus))
	if err != nil {
		t.Fatal(err)
	}
	c := filepath.Join(dir, "corpus")
	feedFIFO(t, c, corpus)
	err, _ = runErr("mine", "--beir-dir", beir, "--corpus", c, "--out", t.TempDir(), "-q")
	if exitCode(err) != exitInput || !strings.Contains(err.Error(), "not a regular file") || !strings.Contains(err.Error(), c) {
		t.Fatalf("a corpus from a pipe: %v (exit %d), want exit %d naming the file", err, exitCode(err), exitInput)
	}
	os.OpenFile(c, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
