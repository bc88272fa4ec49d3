// dump.mjs reads one split of a HuggingFace `datasets` save_to_disk folder with
// the apache-arrow JavaScript implementation and prints it as one JSON document:
//
//   {"schema": {"fields": [{"name", "type", "nullable", "item"?}], "metadata": {key: value}},
//    "batches": [rows per record batch, over all shards in order],
//    "rows": [{column: value}, ...]}
//
// It exists so that hardneg's Go tests can check the Go writer's output with an
// Arrow implementation other than the writer's own (see internal/arrowcheck).
//
// "type" is apache-arrow's name of the type ("Utf8", "Float64", "List<Utf8>").
// A list field also has "item", its child field: {"name", "type", "nullable"}.
// Only lists of primitive values are read; deeper nesting is refused.
//
// Values: strings as JSON strings; floating point numbers as JSON numbers with
// the shortest digits that round-trip to the same float64 (JSON.stringify), and
// -0 as -0; NaN, Infinity and -Infinity as the JSON strings "NaN", "Infinity"
// and "-Infinity"; 64-bit integers (read as BigInt) as JSON numbers with all
// their decimal digits, so a reader must not decode them into float64; nulls as
// null; lists as JSON arrays of such values.
//
// Like `datasets` (pa.ipc.open_stream), it accepts only the Arrow IPC streaming
// format. apache-arrow's RecordBatchReader.from silently switches to the IPC
// file format when it sees the ARROW1 magic, so the magic is checked here
// explicitly. It also requires every shard to end with the end-of-stream marker
// that pyarrow and arrow-go both write, and every shard to have the same schema.
//
// Exit status: 0 on success, 1 when the split cannot be read, 2 on bad usage.

import { readFileSync } from 'node:fs';
import { jsonList, jsonValue as sharedJSONValue } from './json.mjs';
import { join } from 'node:path';
import { DataType, RecordBatchReader } from 'apache-arrow';
// apache-arrow yields this placeholder for a stream that has a schema and no
// record batch (an empty split); it is not a batch of the file.
import { _InternalEmptyPlaceholderRecordBatch } from 'apache-arrow/recordbatch';

const FILE_MAGIC = 'ARROW1';
const EOS = [0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00];

function fail(msg) {
  throw new Error(`arrowcheck: ${msg}`);
}

function unsupported(v) {
  fail(`unsupported value of JavaScript type ${typeof v}`);
}

function jsonValue(v) {
  return sharedJSONValue(v, unsupported);
}

// jsonListValue is a value of a list field: a Vector of its items, or null.
function jsonListValue(v) {
  return v === null || v === undefined ? 'null' : jsonList(v, unsupported);
}

// nested reports whether t has child fields: a list, struct, map or union.
function nested(t) {
  return Array.isArray(t.children) && t.children.length > 0;
}

function describeSchema(schema) {
  const fields = schema.fields.map((f) => {
    const d = { name: f.name, type: String(f.type), nullable: f.nullable };
    if (DataType.isList(f.type)) {
      const item = f.type.children[0];
      if (nested(item.type)) {
        fail(`field ${JSON.stringify(f.name)} is ${f.type}: only lists of primitive values are supported`);
      }
      d.item = { name: item.name, type: String(item.type), nullable: item.nullable };
    } else if (nested(f.type)) {
      fail(`field ${JSON.stringify(f.name)} is ${f.type}: only lists of primitive values are supported`);
    }
    return d;
  });
  const metadata = {};
  for (const [k, v] of schema.metadata) metadata[k] = v;
  return { fields, metadata };
}

function readShard(path) {
  let bytes;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    fail(`read ${path}: ${err.message}`);
  }
  if (bytes.length >= FILE_MAGIC.length &&
      bytes.subarray(0, FILE_MAGIC.length).toString('latin1') === FILE_MAGIC) {
    fail(`read ${path}: file starts with the ARROW1 magic: this is the Arrow IPC file format, not the streaming format that datasets reads`);
  }
  if (bytes.length < EOS.length || EOS.some((b, i) => bytes[bytes.length - EOS.length + i] !== b)) {
    fail(`read ${path}: stream does not end with the end-of-stream marker (truncated or not an Arrow IPC stream)`);
  }
  const reader = RecordBatchReader.from(bytes);
  reader.open();
  if (reader.isFile()) {
    fail(`read ${path}: apache-arrow opened it as an IPC file, not a stream`);
  }
  if (!reader.schema) {
    fail(`read ${path}: no schema message`);
  }
  // Iterating to the end closes the reader, which drops its schema.
  const schema = reader.schema;
  const batches = [];
  for (const batch of reader) {
    if (!(batch instanceof _InternalEmptyPlaceholderRecordBatch)) batches.push(batch);
  }
  return { schema, batches };
}

function main(argv) {
  if (argv.length !== 1) {
    process.stderr.write('usage: node dump.mjs SPLIT_DIR\n');
    return 2;
  }
  const dir = argv[0];
  const statePath = join(dir, 'state.json');
  let state;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8'));
  } catch (err) {
    fail(`read ${statePath}: ${err.message}`);
  }
  const files = state._data_files;
  if (!Array.isArray(files) || files.length === 0) {
    fail(`read ${statePath}: _data_files is missing or empty`);
  }

  let desc = null;
  let descJSON = '';
  const batchRows = [];
  const rows = [];
  for (const entry of files) {
    if (!entry || typeof entry.filename !== 'string' || entry.filename.includes('/')) {
      fail(`read ${statePath}: bad _data_files entry ${JSON.stringify(entry)}`);
    }
    const path = join(dir, entry.filename);
    const { schema, batches } = readShard(path);
    const d = describeSchema(schema);
    const dJSON = JSON.stringify(d);
    if (desc === null) {
      const seen = new Set();
      for (const f of d.fields) {
        if (seen.has(f.name)) fail(`read ${path}: duplicate field name ${JSON.stringify(f.name)}`);
        seen.add(f.name);
      }
      desc = d;
      descJSON = dJSON;
    } else if (dJSON !== descJSON) {
      fail(`read ${path}: schema differs from the first shard's: ${dJSON} != ${descJSON}`);
    }
    const keys = d.fields.map((f) => JSON.stringify(f.name));
    const encode = d.fields.map((f) => (f.item ? jsonListValue : jsonValue));
    for (const batch of batches) {
      batchRows.push(batch.numRows);
      const cols = d.fields.map((_, j) => batch.getChildAt(j));
      for (let i = 0; i < batch.numRows; i++) {
        rows.push('{' + keys.map((k, j) => k + ': ' + encode[j](cols[j].get(i))).join(', ') + '}');
      }
    }
  }

  process.stdout.write('{"schema": ' + JSON.stringify(desc) +
    ',\n"batches": ' + JSON.stringify(batchRows) +
    ',\n"rows": [' + rows.join(',\n') + ']}\n');
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exitCode = 1;
}
