package choose

import (
	"errors"
	"fmt"
	"math"
	"regexp"

	"github.com/hardneg/hardneg/scan"
)

// Band is a named similarity band [Lo, Hi) and the share of negatives it
// should supply. Its name is the difficulty label in the output.
type Band struct {
	Name  string  `json:"name"`
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Ratio float64 `json:"ratio"`
}

// DefaultBands are the notebook's bands.
func DefaultBands() []Band {
	return []Band{
		{Name: "easy", Lo: 0.3, Hi: 0.5, Ratio: 0.33},
		{Name: "medium", Lo: 0.5, Hi: 0.7, Ratio: 0.33},
		{Name: "hard", Lo: 0.7, Hi: 0.9, Ratio: 0.34},
	}
}

// AllBand is the one band of a run without bands: every similarity, every
// negative; its name is the difficulty label.
func AllBand() Band { return Band{Name: "all", Lo: -2, Hi: 2, Ratio: 1} }

// MaxBands bounds the number of bands.
const MaxBands = 256

var bandName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// ErrBands reports bands that cannot work together.
var ErrBands = errors.New("bad bands")

// ValidateBands reports the first problem with a list of bands: names that
// are not plain words or repeat, empty or out-of-range ranges, bands out of
// order or overlapping, ratios outside [0, 1] or not summing to 1.
func ValidateBands(bands []Band) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBands, fmt.Sprintf(format, args...))
	}
	if len(bands) == 0 {
		return bad("no bands")
	}
	if len(bands) > MaxBands {
		return bad("%d bands; at most %d", len(bands), MaxBands)
	}
	sum := 0.0
	seen := map[string]bool{}
	for i, b := range bands {
		switch {
		case !bandName.MatchString(b.Name):
			return bad("band %d: name %q must be letters, digits, '_' or '-'", i, b.Name)
		case seen[b.Name]:
			return bad("band name %q is used twice", b.Name)
		case math.IsNaN(b.Lo) || math.IsNaN(b.Hi) || !(b.Lo < b.Hi):
			return bad("band %s: range [%v, %v) is empty", b.Name, b.Lo, b.Hi)
		case b.Lo < -1 || b.Hi > 1.000001:
			return bad("band %s: range [%v, %v) is outside the cosine range [-1, 1]", b.Name, b.Lo, b.Hi)
		case !(b.Ratio >= 0 && b.Ratio <= 1):
			return bad("band %s: ratio %v is not in [0, 1]", b.Name, b.Ratio)
		}
		if i > 0 {
			p := bands[i-1]
			switch {
			case b.Hi <= p.Lo:
				return bad("band %s [%v, %v) comes before band %s [%v, %v) but is listed after it; list bands in increasing order",
					b.Name, b.Lo, b.Hi, p.Name, p.Lo, p.Hi)
			case b.Lo < p.Hi:
				return bad("bands %s [%v, %v) and %s [%v, %v) overlap; a similarity must fall in one band at most",
					p.Name, p.Lo, p.Hi, b.Name, b.Lo, b.Hi)
			}
		}
		seen[b.Name] = true
		sum += b.Ratio
	}
	if math.Abs(sum-1) > 1e-6 {
		return bad("the bands' ratios sum to %s, not 1", trimFloat(sum))
	}
	return nil
}

// trimFloat spells x without float noise: 1.17, not 1.1700000000000002.
func trimFloat(x float64) string {
	return fmt.Sprintf("%.10g", math.Round(x*1e9)/1e9)
}

// ScanBands returns the bands' ranges for the scan.
func ScanBands(bands []Band) []scan.Band {
	out := make([]scan.Band, len(bands))
	for i, b := range bands {
		out[i] = scan.Band{Lo: b.Lo, Hi: b.Hi}
	}
	return out
}
