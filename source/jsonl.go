package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"unicode/utf8"
)

// eachLine calls fn with every line of r and its number, counting from 1;
// the last line need not end in a newline. It stops at fn's first error.
func eachLine(r io.Reader, fn func(line []byte, num int) error) error {
	br := bufio.NewReaderSize(r, 1<<20)
	num := 0
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			num++
			if ferr := fn(line, num); ferr != nil {
				return ferr
			}
		}
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
