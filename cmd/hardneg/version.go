package main

import (
	"fmt"
	"io"

	"github.com/hardneg/hardneg/mine"
	"github.com/spf13/cobra"
)

func versionCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		Run: func(*cobra.Command, []string) {
			fmt.Fprintln(stdout, mine.Version())
		},
	}
}
