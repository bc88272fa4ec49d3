//go:build unix

package output

import (
	"errors"
	"os"
	"syscall"
)

// lockFile takes an exclusive lock on f, waiting for it. The lock is the
// kernel's (flock): it goes with the process, however the process ends.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

// tryLockFile takes the lock if no other process holds it; ok is false when
// one does. err reports a file system without locks.
func tryLockFile(f *os.File) (ok bool, err error) {
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case err != syscall.EINTR:
			return false, err
		}
	}
}

// removeWhileLocked: on Unix a file can be removed while it is open and
// locked, which keeps the lock until the folder is gone.
const removeWhileLocked = true
