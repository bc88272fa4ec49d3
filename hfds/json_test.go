package hfds

import "testing"

// pyCols covers what Python's json module escapes with its default
// ensure_ascii=True: non-ASCII (with a surrogate pair above U+FFFF), control
// characters, DEL, the short escapes; and what it leaves alone: / < > &.
var pyCols = []Column{
	{Name: "id", Type: Int64},
	{Name: "é \"q\" 😀", Type: String},
	{Name: "a\x00\x1f\x7f\b\f\n\r\t\\/<>&\u2028", Type: Float64},
}

// listCols are list features among scalar ones.
var listCols = []Column{
	{Name: "ids", Type: ListInt64},
	{Name: "é \"q\" 😀", Type: ListString},
	{Name: "s", Type: ListFloat64},
	{Name: "x", Type: String},
}

// The want strings below were printed by Python 3.11's json module for the
// same names, with the calls `datasets` makes; for listCols, by datasets
// 5.0.1 from Features({...}).to_dict() with List(Value(...)) features.
func TestPythonJSON(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{
			name: "schema metadata: json.dumps",
			got:  schemaMetadataJSON(pyCols),
			want: `{"info": {"features": {"id": {"dtype": "int64", "_type": "Value"}, "\u00e9 \"q\" \ud83d\ude00": {"dtype": "string", "_type": "Value"}, "a\u0000\u001f\u007f\b\f\n\r\t\\/<>&\u2028": {"dtype": "float64", "_type": "Value"}}}}`,
		},
		{
			name: "dataset_info.json: json.dump indent=2",
			got:  string(datasetInfoJSON(pyCols)),
			want: `{
  "citation": "",
  "description": "",
  "features": {
    "id": {
      "dtype": "int64",
      "_type": "Value"
    },
    "\u00e9 \"q\" \ud83d\ude00": {
      "dtype": "string",
      "_type": "Value"
    },
    "a\u0000\u001f\u007f\b\f\n\r\t\\/<>&\u2028": {
      "dtype": "float64",
      "_type": "Value"
    }
  },
  "homepage": "",
  "license": ""
}`,
		},
		{
			name: "list features in the schema metadata: json.dumps",
			got:  schemaMetadataJSON(listCols),
			want: `{"info": {"features": {"ids": {"feature": {"dtype": "int64", "_type": "Value"}, "_type": "List"}, "\u00e9 \"q\" \ud83d\ude00": {"feature": {"dtype": "string", "_type": "Value"}, "_type": "List"}, "s": {"feature": {"dtype": "float64", "_type": "Value"}, "_type": "List"}, "x": {"dtype": "string", "_type": "Value"}}}}`,
		},
		{
			name: "list features in dataset_info.json: json.dump indent=2",
			got:  string(datasetInfoJSON(listCols)),
			want: `{
  "citation": "",
  "description": "",
  "features": {
    "ids": {
      "feature": {
        "dtype": "int64",
        "_type": "Value"
      },
      "_type": "List"
    },
    "\u00e9 \"q\" \ud83d\ude00": {
      "feature": {
        "dtype": "string",
        "_type": "Value"
      },
      "_type": "List"
    },
    "s": {
      "feature": {
        "dtype": "float64",
        "_type": "Value"
      },
      "_type": "List"
    },
    "x": {
      "dtype": "string",
      "_type": "Value"
    }
  },
  "homepage": "",
  "license": ""
}`,
		},
		{
			name: "dataset_dict.json: json.dump",
			got:  string(datasetDictJSON([]Split{{Name: "train"}, {Name: "a.b"}})),
			want: `{"splits": ["train", "a.b"]}`,
		},
		{
			name: "state.json with two shards: json.dump indent=2 sort_keys=True",
			got:  string(stateJSON([]string{"data-00000-of-00002.arrow", "data-00001-of-00002.arrow"}, "0123456789abcdef")),
			want: `{
  "_data_files": [
    {
      "filename": "data-00000-of-00002.arrow"
    },
    {
      "filename": "data-00001-of-00002.arrow"
    }
  ],
  "_fingerprint": "0123456789abcdef",
  "_format_columns": null,
  "_format_kwargs": {},
  "_format_type": null,
  "_output_all_columns": false,
  "_split": null
}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", tt.got, tt.want)
			}
		})
	}
}
