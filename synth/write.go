package synth

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hardneg/hardneg/npy"
	"github.com/hardneg/hardneg/source"
)

// blankEvery is about how many pair lines there are for each blank line.
const blankEvery = 400

// WriteDir writes four files into dir (created if missing): the pairs as
// JSON lines with the real file's fields and a few blank lines, the term
// list as a JSON array, the embeddings as .npy in d.Config.DType, and
// HeldOutFile, the held-out pairs as JSON lines of the same form without
// blank lines (empty when there are none). The first three are mine's
// inputs; HeldOutFile is ground truth for evaluation only. Text is UTF-8,
// not ASCII-escaped. The bytes depend only on d.
func (d *Dataset) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("synth: create output directory: %w", err)
	}
	if err := d.writePairs(filepath.Join(dir, source.PairsFile)); err != nil {
		return err
	}
	if err := writeLines(filepath.Join(dir, HeldOutFile), d.HeldOutPairs); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, source.TermsFile), d.Terms); err != nil {
		return err
	}
	path := filepath.Join(dir, source.EmbeddingsFile)
	if err := npy.Write(path, len(d.Terms), d.Config.Dim, d.Embeddings, d.Config.DType); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}

// blankLines reports, for each pair line, whether a blank line goes before
// it; the last entry is for the end of the file.
func (d *Dataset) blankLines() []bool {
	n := len(d.Pairs)
	blank := make([]bool, n+1)
	r := newRand(d.Config.Seed, streamBlank, 0)
	if n == 0 {
		return blank
	}
	for range max(2, n/blankEvery) {
		blank[1+r.IntN(n)] = true // never before the first line
	}
	return blank
}

func (d *Dataset) writePairs(path string) error {
	return writeFile(path, func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		blank := d.blankLines()
		for i := range d.Pairs {
			if blank[i] {
				w.WriteByte('\n')
			}
			if err := enc.Encode(&d.Pairs[i]); err != nil {
				return err
			}
		}
		if blank[len(d.Pairs)] {
			w.WriteByte('\n')
		}
		return nil
	})
}

// writeLines writes pairs as JSON lines, without blank lines.
func writeLines(path string, pairs []Pair) error {
	return writeFile(path, func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for i := range pairs {
			if err := enc.Encode(&pairs[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

func writeJSON(path string, v any) error {
	return writeFile(path, func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		return enc.Encode(v)
	})
}

// writeFile creates path and hands fill a buffered writer on it; it reports
// the first error of fill, the flush or the close, naming the file.
func writeFile(path string, fill func(*bufio.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("synth: close %s: %w", path, cerr)
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	if err := fill(w); err != nil {
		return fmt.Errorf("synth: write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("synth: write %s: %w", path, err)
	}
	return nil
}
