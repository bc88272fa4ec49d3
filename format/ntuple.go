package format

import (
	"strconv"

	"github.com/hardneg/hardneg/hfds"
)

// The n-tuple format is sentence-transformers': one row per (anchor,
// positive) with exactly K negatives, negative_1 .. negative_K. Groups with
// fewer (an anchor whose pools were short, or a row split that scattered
// its rows) are dropped and counted, as sentence-transformers drops tuples
// it could not fill. With scores, "scores" = [positive's similarity,
// negative_1's, .., negative_K's]; with ids, query_id, positive_id and the
// list negative_id.
var ntupleSpec = Spec{
	Name: NTuple, Unit: "n-tuples", Grouped: true,
	Dataset: "ntuple_dataset", TrainJSONL: "train_ntuples.jsonl", ValJSONL: "val_ntuples.jsonl",
	table: ntupleTable,
}

func ntupleTable(v View, o Options) (hfds.Table, int) {
	k := o.K
	var kept []pairGroup
	dropped := 0
	for _, g := range groupByPair(v) {
		switch {
		case len(g.Rows) > k:
			panic("format: an (anchor, positive) has more negatives than K")
		case len(g.Rows) < k:
			dropped++
		default:
			kept = append(kept, g)
		}
	}
	n := len(kept)
	anchor, positive := make([]string, n), make([]string, n)
	negs := make([][]string, k)
	for j := range negs {
		negs[j] = make([]string, n)
	}
	scores := newList("scores", hfds.ListFloat64)
	var qid, pid []string
	nid := newList("negative_id", hfds.ListString)
	if o.WithIDs {
		qid, pid = make([]string, n), make([]string, n)
	}
	for row, g := range kept {
		anchor[row], positive[row] = v.Queries.Text(g.Anchor), v.Corpus.Text(g.Positive)
		for j, i := range g.Rows {
			negs[j][row] = v.Corpus.Text(v.Rows[i].Negative)
		}
		if o.WithScores {
			scores.Float64s = append(scores.Float64s, score(v.PositiveSim(g.Anchor, g.Positive)))
			for _, i := range g.Rows {
				scores.Float64s = append(scores.Float64s, score(v.Rows[i].Sim))
			}
			endRow(scores)
		}
		if o.WithIDs {
			qid[row], pid[row] = v.Queries.ID(g.Anchor), v.Corpus.ID(g.Positive)
			for _, i := range g.Rows {
				nid.Strings = append(nid.Strings, v.Corpus.ID(v.Rows[i].Negative))
			}
			endRow(nid)
		}
	}
	t := hfds.Table{Columns: []hfds.Column{stringCol("anchor", anchor), stringCol("positive", positive)}}
	for j, s := range negs {
		t.Columns = append(t.Columns, stringCol("negative_"+strconv.Itoa(j+1), s))
	}
	if o.WithScores {
		t.Columns = append(t.Columns, *scores)
	}
	if o.WithIDs {
		t.Columns = append(t.Columns, stringCol("query_id", qid), stringCol("positive_id", pid), *nid)
	}
	return t, dropped
}
