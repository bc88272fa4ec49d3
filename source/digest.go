package source

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
)

// Digest identifies the bytes a reader read from a file: its size and
// SHA-256. The readers compute it from the very bytes they parse, so a
// pipe or a file that changes while it is read is described as it was
// read, and nothing is read twice.
type Digest struct {
	Path   string `json:"path"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// hashedFile is an open input that hashes what is read from it.
type hashedFile struct {
	path string
	f    *os.File
	h    hash.Hash
	n    int64
}

func openHashed(path string) (*hashedFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return &hashedFile{path: path, f: f, h: sha256.New()}, nil
}

func (r *hashedFile) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	return n, err
}

// digest reads what the parser left (nothing, for a well-formed file) and
// returns the digest of the whole file.
func (r *hashedFile) digest() (Digest, error) {
	if _, err := io.Copy(io.Discard, io.LimitReader(r, max(MaxFileBytes-r.n, 0)+1)); err != nil {
		return Digest{}, fmt.Errorf("read %s: %w", r.path, err)
	}
	if r.n > MaxFileBytes {
		return Digest{}, fmt.Errorf("%s: %w: more than %s (hardneg reads text inputs of at most that; is it an endless stream?)", r.path, ErrTooLarge, sizeName(MaxFileBytes))
	}
	return Digest{Path: r.path, Bytes: r.n, SHA256: hex.EncodeToString(r.h.Sum(nil))}, nil
}

func (r *hashedFile) Close() error { return r.f.Close() }
