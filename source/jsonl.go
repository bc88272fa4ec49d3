package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// Caps on what a reader takes from one input, so that an endless or binary
// input (a pipe that never ends, /dev/zero) ends in an error naming the
// file and the line, not in running out of memory. Variables, so that tests
// can lower them.
var (
	// MaxLineBytes caps a line of a JSONL or TSV input.
	MaxLineBytes = 64 << 20
	// MaxTermBytes caps one term of a term list, as written in the file.
	MaxTermBytes = 1 << 20
	// MaxFileBytes caps a text input as a whole.
	MaxFileBytes int64 = 64 << 30
)

// Errors of the caps and of binary input, beside the readers' own; the
// errors wrap them as well as the reader's sentinel.
var (
	// ErrTooLarge reports a line, a term or a file beyond its cap.
	ErrTooLarge = errors.New("too large")
	// ErrNotText reports a NUL byte, which no JSON or TSV text holds.
	ErrNotText = errors.New("not a text file")
)

// capReader reads at most left bytes, then reports io.EOF and sets over
// if there was more.
type capReader struct {
	r    io.Reader
	left int64
	over bool
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		var one [1]byte
		if n, _ := c.r.Read(one[:]); n > 0 {
			c.over = true
		}
		return 0, io.EOF
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

// sizeName spells a cap: "64 MiB".
func sizeName[T int | int64](n T) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// eachLine calls fn with every line of r and its number, counting from 1;
// the last line need not end in a newline. It stops at fn's first error,
// and refuses, wrapping sentinel, a line longer than MaxLineBytes, a NUL
// byte and more than MaxFileBytes in all. The line is valid only during
// the call.
func eachLine(r io.Reader, sentinel error, fn func(line []byte, num int) error) error {
	lr := &capReader{r: r, left: MaxFileBytes}
	br := bufio.NewReaderSize(lr, 1<<20)
	num := 0
	var long []byte // a line longer than the buffer, gathered
	for {
		chunk, err := br.ReadSlice('\n')
		if i := bytes.IndexByte(chunk, 0); i >= 0 {
			return fmt.Errorf("%w: line %d: %w: a NUL byte at column %d", sentinel, num+1, ErrNotText, len(long)+i+1)
		}
		if lr.over {
			return fmt.Errorf("%w: line %d: %w: more than %s in all (hardneg reads text inputs of at most that; is it an endless stream?)",
				sentinel, num+1, ErrTooLarge, sizeName(MaxFileBytes))
		}
		if err == bufio.ErrBufferFull {
			if len(long)+len(chunk) > MaxLineBytes {
				return fmt.Errorf("%w: line %d: %w: longer than %s (is it a text file of lines?)", sentinel, num+1, ErrTooLarge, sizeName(MaxLineBytes))
			}
			long = append(long, chunk...)
			continue
		}
		line := chunk
		if len(long) > 0 {
			long = append(long, chunk...)
			line = long
		}
		if len(line) > MaxLineBytes {
			return fmt.Errorf("%w: line %d: %w: longer than %s (is it a text file of lines?)", sentinel, num+1, ErrTooLarge, sizeName(MaxLineBytes))
		}
		if len(line) > 0 {
			num++
			if ferr := fn(line, num); ferr != nil {
				return ferr
			}
		}
		long = long[:0]
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read line %d: %w", num+1, err)
		}
	}
}

// decodeObject decodes one JSONL line, which must hold a single JSON
// object, into v. A line of white space is blank and decodes nothing.
// Errors wrap sentinel and name the line, and the column where it helps.
// numberFields names the fields that hold numbers, for type errors.
func decodeObject(line []byte, num int, sentinel error, v any, numberFields ...string) (blank bool, err error) {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 {
		return true, nil
	}
	if !utf8.Valid(line) {
		return false, fmt.Errorf("%w: line %d: invalid UTF-8 at column %d", sentinel, num, invalidUTF8Offset(line)+1)
	}
	if trimmed[0] != '{' {
		return false, fmt.Errorf("%w: line %d: want a JSON object, found %s", sentinel, num, jsonKind(trimmed))
	}
	// The common case in one pass; the decoder below words the errors.
	if json.Unmarshal(trimmed, v) == nil {
		return false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(v); err != nil {
		// Columns count bytes from the start of the untrimmed line.
		indent := len(line) - len(bytes.TrimLeft(line, " \t\r\n"))
		return false, fmt.Errorf("%w: line %d: %s", sentinel, num, describeDecodeError(err, indent, numberFields))
	}
	// Decoder.More misses a stray '}' or ']', so look at the rest directly.
	if rest := bytes.TrimSpace(trimmed[dec.InputOffset():]); len(rest) > 0 {
		return false, fmt.Errorf("%w: line %d: data after the JSON object: %q", sentinel, num, truncate(rest, 20))
	}
	return false, nil
}
