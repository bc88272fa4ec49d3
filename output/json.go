package output

import (
	"bytes"
	"encoding/json"
	"os"
)

// MarshalIndent encodes v with two-space indentation and without escaping
// '<', '>' and '&' or non-ASCII text, the way Python's
// json.dump(..., indent=2, ensure_ascii=False) lays out a document.
func MarshalIndent(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteJSONFile writes v to path with MarshalIndent.
func WriteJSONFile(path string, v any) error {
	b, err := MarshalIndent(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o644)
}
