package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/hardneg/hardneg/mine"
	"github.com/hardneg/hardneg/report"
)

// jsonSummary is what --json prints: where every output went and what the
// run produced, for programs that drive the binary.
type jsonSummary struct {
	Out       string            `json:"out"`
	Format    string            `json:"format"`
	Unit      string            `json:"unit"`
	Dataset   string            `json:"dataset"`
	JSONL     map[string]string `json:"jsonl"`
	Parquet   map[string]string `json:"parquet,omitempty"`
	Stats     string            `json:"stats"`
	Rows      map[string]int    `json:"rows"`
	Anchors   int               `json:"anchors"`
	Skipped   int               `json:"skipped_anchors"`
	Target    mine.Object       `json:"target_percent"`
	Achieved  mine.Object       `json:"achieved_percent"`
	PerAnchor mine.Object       `json:"per_anchor"`
	Seconds   float64           `json:"seconds"`
}

func writeJSONSummary(w io.Writer, res *mine.Result, took time.Duration) error {
	abs := func(name string) string {
		p, err := filepath.Abs(filepath.Join(res.OutDir, name))
		if err != nil {
			return filepath.Join(res.OutDir, name)
		}
		return p
	}
	s := res.Stats
	out := jsonSummary{
		Out:       abs("."),
		Format:    string(s.Format.Format),
		Unit:      res.Spec.Unit,
		Dataset:   abs(res.Spec.Dataset),
		JSONL:     map[string]string{"train": abs(res.Spec.TrainJSONL), "validation": abs(res.Spec.ValJSONL)},
		Stats:     abs(mine.StatsFile),
		Rows:      map[string]int{"train": s.Format.Rows[0], "validation": s.Format.Rows[1]},
		Anchors:   s.Dataset.UniqueAnchors,
		Skipped:   s.Dataset.SkippedAnchors,
		Target:    s.Mix.Target,
		Achieved:  s.Mix.Achieved,
		PerAnchor: s.Mix.PerAnchor,
		Seconds:   took.Seconds(),
	}
	for _, p := range res.Outputs {
		if filepath.Base(p) == mine.ParquetDir {
			out.Parquet = map[string]string{
				"train":      abs(filepath.Join(mine.ParquetDir, "train-00000-of-00001.parquet")),
				"validation": abs(filepath.Join(mine.ParquetDir, "validation-00000-of-00001.parquet")),
			}
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// spreadLine spells a band's per-anchor spread: "0: 3,507, 1: 200, ...,
// 5: 1,961", eliding the middle of a long one.
func spreadLine(o mine.Object) string {
	var parts []string
	for i, f := range o {
		if len(o) > 8 && i == 3 {
			parts = append(parts, "...")
		}
		if len(o) > 8 && i >= 3 && i < len(o)-3 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%s: %s", f.Key, report.Thousands(f.Value.(int))))
	}
	return strings.Join(parts, ", ")
}

// printSummary ends every run: rows in the format's own unit, and the
// target and achieved mix of (anchor, positive, negative) triplets.
func printSummary(w io.Writer, res *mine.Result, took time.Duration) {
	s := res.Stats
	rows := s.Format.Rows
	fmt.Fprintf(w, "mined %d anchors (%d without any candidate) into %d %s: %d train, %d validation, in %s\n",
		s.Dataset.UniqueAnchors, s.Dataset.SkippedAnchors, rows[0]+rows[1], res.Spec.Unit, rows[0], rows[1],
		took.Round(time.Millisecond))
	fmt.Fprintf(w, "difficulty mix of the %d (anchor, positive, negative) triplets (%s quota):\n", s.Dataset.TotalTriplets, s.Mix.Quota)
	for i, t := range s.Mix.Target {
		a := s.Mix.Achieved[i]
		fmt.Fprintf(w, "  %-8s target %5.1f%%  achieved %5.1f%%  (%v triplets)", t.Key, t.Value, a.Value, s.DifficultyDistribution[i].Value)
		if i < len(s.Mix.PerAnchor) {
			fmt.Fprintf(w, "\n           anchors by how many of their negatives it gave: %s", spreadLine(s.Mix.PerAnchor[i].Value.(mine.Object)))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "outputs:")
	for _, p := range res.Outputs {
		fmt.Fprintf(w, "  %s\n", p)
	}
}
