package main

// The kernel package is imported only so that go mod tidy keeps the
// requirement avo needs to load it.
import _ "github.com/hardneg/hardneg/internal/kernel"
