package format

import "github.com/hardneg/hardneg/hfds"

// The labeled-list format is sentence-transformers': one row per (anchor,
// positive) with "texts" = [positive, negatives...] and "labels" = [1, 0,
// ...], for listwise losses such as LambdaLoss. Groups without a negative
// are left out. With scores, "scores" (each text's similarity to the
// anchor) replaces "labels", as sentence-transformers does; with ids,
// query_id and the list text_ids.
var labeledListSpec = Spec{
	Name: LabeledList, Unit: "labeled lists", Grouped: true,
	Dataset: "labeled_list_dataset", TrainJSONL: "train_labeled_lists.jsonl", ValJSONL: "val_labeled_lists.jsonl",
	table: labeledListTable,
}

func labeledListTable(v View, o Options) (hfds.Table, int) {
	var anchor, qid []string
	texts := newList("texts", hfds.ListString)
	labels := newList("labels", hfds.ListInt64)
	scores := newList("scores", hfds.ListFloat64)
	tids := newList("text_ids", hfds.ListString)
	dropped := 0
	for _, g := range groupByPair(v) {
		if len(g.Rows) == 0 {
			dropped++
			continue
		}
		anchor = append(anchor, v.Queries.Text(g.Anchor))
		texts.Strings = append(texts.Strings, v.Corpus.Text(g.Positive))
		if o.WithScores {
			scores.Float64s = append(scores.Float64s, score(v.PositiveSim(g.Anchor, g.Positive)))
		} else {
			labels.Int64s = append(labels.Int64s, 1)
		}
		if o.WithIDs {
			qid = append(qid, v.Queries.ID(g.Anchor))
			tids.Strings = append(tids.Strings, v.Corpus.ID(g.Positive))
		}
		for _, i := range g.Rows {
			r := v.Rows[i]
			texts.Strings = append(texts.Strings, v.Corpus.Text(r.Negative))
			if o.WithScores {
				scores.Float64s = append(scores.Float64s, score(r.Sim))
			} else {
				labels.Int64s = append(labels.Int64s, 0)
			}
			if o.WithIDs {
				tids.Strings = append(tids.Strings, v.Corpus.ID(r.Negative))
			}
		}
		endRow(texts)
		if o.WithScores {
			endRow(scores)
		} else {
			endRow(labels)
		}
		if o.WithIDs {
			endRow(tids)
		}
	}
	t := hfds.Table{Columns: []hfds.Column{stringCol("anchor", nonNil(anchor)), *texts}}
	if o.WithScores {
		t.Columns = append(t.Columns, *scores)
	} else {
		t.Columns = append(t.Columns, *labels)
	}
	if o.WithIDs {
		t.Columns = append(t.Columns, stringCol("query_id", nonNil(qid)), *tids)
	}
	return t, dropped
}
