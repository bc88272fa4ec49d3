package guard

// withinDistance reports whether the Levenshtein distance between a and b
// (insertions, deletions and substitutions of one rune, each costing 1) is
// at most k. It fills only the diagonal band of width 2k+1 and stops as soon
// as a whole row exceeds k. row must have room for len(b)+1 ints.
func withinDistance(a, b []rune, k int, row []int) bool {
	if len(a)-len(b) > k || len(b)-len(a) > k {
		return false
	}
	const inf = 1 << 30
	row = row[:len(b)+1]
	for j := range row {
		if j <= k {
			row[j] = j
		} else {
			row[j] = inf
		}
	}
	for i := 1; i <= len(a); i++ {
		lo := max(1, i-k)
		hi := min(len(b), i+k)
		// diag holds row[i-1][j-1] while row[j] still holds row[i-1][j].
		diag := row[lo-1]
		if lo == 1 {
			if i <= k {
				row[0] = i
			} else {
				row[0] = inf
			}
		} else {
			row[lo-1] = inf
		}
		best := row[lo-1]
		for j := lo; j <= hi; j++ {
			cost := diag
			if a[i-1] != b[j-1] {
				cost++
			}
			up := row[j] + 1
			left := row[j-1] + 1
			diag = row[j]
			v := min(cost, up, left)
			row[j] = v
			best = min(best, v)
		}
		if hi < len(b) {
			row[hi+1] = inf
		}
		if best > k {
			return false
		}
	}
	return row[len(b)] <= k
}
