package format

import "github.com/hardneg/hardneg/hfds"

// The triplet format is the notebook's: one row per (anchor, positive,
// negative), with the negative's similarity and its band as difficulty.
// With scores, "scores" = [positive's similarity, negative's], as
// sentence-transformers writes triplets with output_scores; with ids,
// query_id, positive_id and negative_id.
var tripletSpec = Spec{
	Name: Triplet, Unit: "triplets",
	Dataset: "triplet_dataset", TrainJSONL: "train_triplets.jsonl", ValJSONL: "val_triplets.jsonl",
	table: tripletTable,
}

// TripletColumns are the notebook's columns.
var TripletColumns = []string{"anchor", "positive", "negative", "negative_similarity", "difficulty"}

func tripletTable(v View, o Options) (hfds.Table, int) {
	n := v.Len()
	anchor, positive, negative, difficulty := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	sim := make([]float64, n)
	var qid, pid, nid []string
	if o.WithIDs {
		qid, pid, nid = make([]string, n), make([]string, n), make([]string, n)
	}
	scores := newList("scores", hfds.ListFloat64)
	for k, i := range v.Order {
		r := v.Rows[i]
		anchor[k], positive[k], negative[k] = v.Queries.Text(r.Anchor), v.Corpus.Text(r.Positive), v.Corpus.Text(r.Negative)
		sim[k] = score(r.Sim)
		difficulty[k] = v.Bands[r.Band]
		if o.WithScores {
			scores.Float64s = append(scores.Float64s, score(v.PositiveSim(r.Anchor, r.Positive)), score(r.Sim))
			endRow(scores)
		}
		if o.WithIDs {
			qid[k], pid[k], nid[k] = v.Queries.ID(r.Anchor), v.Corpus.ID(r.Positive), v.Corpus.ID(r.Negative)
		}
	}
	t := hfds.Table{Columns: []hfds.Column{
		stringCol("anchor", anchor), stringCol("positive", positive), stringCol("negative", negative),
		floatCol("negative_similarity", sim), stringCol("difficulty", difficulty),
	}}
	if o.WithScores {
		t.Columns = append(t.Columns, *scores)
	}
	if o.WithIDs {
		t.Columns = append(t.Columns, stringCol("query_id", qid), stringCol("positive_id", pid), stringCol("negative_id", nid))
	}
	return t, 0
}
