//go:build !unix && !windows

package output

import (
	"errors"
	"os"
)

var errNoLocks = errors.New("file locks are not supported on this platform")

// Without file locks no staging folder can be told to be abandoned, so
// recovery reports them and touches nothing.
func lockFile(*os.File) error { return nil }

func tryLockFile(*os.File) (bool, error) { return false, errNoLocks }

const removeWhileLocked = false
