//go:build !linux && !darwin

package npy

import "os"

func mapFile(f *os.File, size int) (data []byte, unmap func() error, err error) {
	return readFile(f, size)
}

var pageSize = os.Getpagesize()

// dontNeed does nothing: the data was read into memory, not mapped.
func dontNeed([]byte) {}
