package hfds

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchTriplets makes n triplet rows shaped like the real data: short Hangul
// terms (2 to 9 syllables, 3 bytes each) and a similarity per row.
func benchTriplets(n int) Table {
	term := func(i int) string {
		syll := 2 + i%8
		r := make([]rune, syll)
		for k := range r {
			r[k] = rune(0xAC00 + (i*7919+k*104729)%11172)
		}
		return string(r)
	}
	rows := make([]triplet, n)
	difficulty := []string{"easy", "medium", "hard"}
	for i := range rows {
		rows[i] = triplet{term(i / 12), term(i/4 + 1), term(i*31 + 2), float64(i%1000) / 1000, difficulty[i%3]}
	}
	return tripletTable(rows)
}

// BenchmarkSave writes one split; 350k rows is the real data's size.
// Bytes per second count the table's Arrow data size (Table.nbytes).
func BenchmarkSave(b *testing.B) {
	for _, n := range []int{1_000, 35_000, 350_000} {
		table := benchTriplets(n)
		splits := []Split{{Name: "train", Table: table}}
		b.Run(fmt.Sprintf("rows=%d", n), func(b *testing.B) {
			base := b.TempDir()
			b.SetBytes(table.nbytes())
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				dir := filepath.Join(base, "ds")
				if err := Save(dir, splits, Options{}); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := os.RemoveAll(dir); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}

// benchLists makes n rows in FlagEmbedding's layout: a query, one to three
// positives, seven negatives and their scores, terms shaped as in
// benchTriplets.
func benchLists(n int) Table {
	src := benchTriplets(n * 3)
	terms := src.Columns[2].Strings
	query := src.Columns[0].Strings[:n]
	pos, neg := make([][]string, n), make([][]string, n)
	posScores, negScores := make([][]float64, n), make([][]float64, n)
	for i := range n {
		for k := range 1 + i%3 {
			pos[i] = append(pos[i], terms[(i*3+k)%len(terms)])
			posScores[i] = append(posScores[i], float64(k)/4)
		}
		for k := range 7 {
			neg[i] = append(neg[i], terms[(i*7+k)%len(terms)])
			negScores[i] = append(negScores[i], float64(k)/8)
		}
	}
	return Table{Columns: []Column{
		{Name: "query", Type: String, Strings: query},
		listColumn("pos", ListString, pos),
		listColumn("neg", ListString, neg),
		listColumn("pos_scores", ListFloat64, posScores),
		listColumn("neg_scores", ListFloat64, negScores),
	}}
}

// BenchmarkSaveLists writes one split of list columns in both layouts.
// Bytes per second count the table's Arrow data size (Table.nbytes).
func BenchmarkSaveLists(b *testing.B) {
	for _, n := range []int{1_000, 35_000} {
		table := benchLists(n)
		splits := []Split{{Name: "train", Table: table}}
		for name, save := range map[string]func(string, []Split, Options) error{"arrow": Save, "parquet": SaveParquet} {
			b.Run(fmt.Sprintf("%s/rows=%d", name, n), func(b *testing.B) {
				base := b.TempDir()
				b.SetBytes(table.nbytes())
				b.ReportAllocs()
				for b.Loop() {
					dir := filepath.Join(base, "out")
					if err := save(dir, splits, Options{}); err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					if err := os.RemoveAll(dir); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
			})
		}
	}
}
