//go:build linux || darwin

package npy

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps f read-only. The embedding matrix can be larger than the
// memory we would like to spend on it, and a mapping lets the page cache
// hold it once however many runs read it.
func mapFile(f *os.File, size int) (data []byte, unmap func() error, err error) {
	if size == 0 {
		// mmap refuses a zero length; an empty file is still a (bad) file.
		return nil, func() error { return nil }, nil
	}
	data, err = unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, err
	}
	return data, func() error { return unix.Munmap(data) }, nil
}

var pageSize = os.Getpagesize()

// dontNeed drops b's pages from the process; b must be page-aligned.
func dontNeed(b []byte) { _ = unix.Madvise(b, unix.MADV_DONTNEED) }
