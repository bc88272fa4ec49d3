package npy

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkOpenReadFloat32 measures what a scan pays to get a whole matrix
// as float32: open and validate, then convert it in blocks of rows, as the
// production 150,000 x 1024 file would be read. The file is in the page
// cache, so this is the conversion and mapping cost, not the disk.
func BenchmarkOpenReadFloat32(b *testing.B) {
	const cols, blockRows = 1024, 256
	dir := b.TempDir()
	for _, dt := range []DType{Float16, Float32, Float64} {
		for _, mb := range []int{4, 64} {
			rows := mb << 20 / (cols * dt.Size())
			b.Run(fmt.Sprintf("%s/%dMB", string(dt[1:]), mb), func(b *testing.B) {
				path := filepath.Join(dir, fmt.Sprintf("%s-%d.npy", string(dt[1:]), mb))
				if err := Write(path, rows, cols, benchData(rows*cols), dt); err != nil {
					b.Fatal(err)
				}
				dst := make([]float32, blockRows*cols)
				b.SetBytes(int64(rows * cols * dt.Size()))
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					f, err := Open(path)
					if err != nil {
						b.Fatal(err)
					}
					for start := 0; start < rows; start += blockRows {
						n := min(blockRows, rows-start)
						f.ReadFloat32(dst[:n*cols], start)
					}
					f.Close()
				}
			})
		}
	}
}

func benchData(n int) []float32 {
	data := make([]float32, n)
	for i := range data {
		// Spread over the exponents an L2-normalised 1024-d vector uses.
		data[i] = float32(i%2001-1000) / 32000
	}
	return data
}

// BenchmarkDecode isolates the conversion from the mapping and its page
// faults: one block of 256 rows of 1024 columns, already in cache.
func BenchmarkDecode(b *testing.B) {
	const n = 256 * 1024
	data := benchData(n)
	dst := make([]float32, n)
	for _, dt := range []DType{Float16, Float32, Float64} {
		src := encode(nil, data, dt)
		decode := map[DType]func([]float32, []byte){Float16: decodeFloat16, Float32: decodeFloat32, Float64: decodeFloat64}[dt]
		b.Run(string(dt[1:]), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				decode(dst, src)
			}
		})
	}
}
