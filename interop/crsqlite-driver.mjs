// crsqlite-driver.mjs - runs a REAL cr-sqlite (npm @vlcn.io/crsqlite-wasm 0.16.0 + @vlcn.io/wa-sqlite 0.22.0)
// in-memory database as a long-lived child process, for CFOST interop/conformance tests.
//
// Needs Node 20+. Run:  node crsqlite-driver.mjs [NODE_DIR]
//   NODE_DIR = folder whose node_modules holds the two packages (where
//   `npm install @vlcn.io/crsqlite-wasm@0.16.0 @vlcn.io/wa-sqlite@0.22.0` was run).
//   If omitted, the folder containing this script is used, so `npm install` next to the
//   accompanying package.json is enough. No environment variable is read (CRSQLITE_NODE_DIR is not used).
//   Example: printf '%s\n' '{"op":"siteId"}' '{"op":"close"}' | node crsqlite-driver.mjs /path/to/dir
// The package's own initWasm() does not work in Node (fetch + IndexedDB), so dist/crsqlite.mjs is imported
// by path, given the wasm bytes as wasmBinary, and wrapped with wa-sqlite's Factory.
//
// Protocol: one JSON command per stdin line -> exactly one JSON response line on stdout
// (diagnostics go to stderr). Any error -> {"ok":false,"error":"..."} and the process keeps running.
//   {"op":"exec","sql":"...","params":[...]?} -> {"ok":true,"rows":[[v,...],...]} (rows of all statements;
//                                               optional params are bound to each statement that has ?)
//   {"op":"changes","since":N}  -> {"ok":true,"changes":[C,...]}   all sites' changes (no site filter, so
//                                        relays work) with db_version > N (default 0), ordered by db_version, seq
//   {"op":"merge","changes":[C,...]} -> {"ok":true,"count":n}     INSERT INTO crsql_changes in one transaction
//                                        (all or nothing); n = rows submitted, not rows that won
//   {"op":"siteId"}             -> {"ok":true,"siteId":"<32 hex>"}
//   {"op":"close"}              -> SELECT crsql_finalize(), close, respond {"ok":true}, exit 0 (also on stdin EOF)
// C = {"table":"t","pk":"<hex>","cid":"a","val":V,"col_version":N,"db_version":N,"site_id":"<hex>","cl":N,"seq":N}
// V = null | JSON number | JSON string | {"blob":"<hex>"} | {"real":"Infinity"} | {"real":"-Infinity"};
//     hex is printed lowercase. This is exactly dev.cfost.ChangeJson's value format.
//
// Numbers (hand-rolled lossless JSON, no extra dependency): a JSON number literal without '.', 'e'
// or 'E' is parsed as a BigInt and bound with sqlite3_bind_int64 (=> INTEGER, exact up to int64);
// with '.'/'e' it is a JS double bound with sqlite3_bind_double (=> REAL). On output INTEGER is printed
// from sqlite3_column_int64 exactly; REAL always carries '.' or an exponent (1.0, -0.0, 1e+21);
// +-Infinity, which JSON cannot spell, is {"real":"Infinity"} / {"real":"-Infinity"} both ways, as CFOST
// writes it (an overflowing literal such as 1e999 is also read as Infinity). (wa-sqlite's own bind() would bind 1.0 as INTEGER and 2^40 as REAL, and
// its column() returns a lossy JS number below 2^53 / BigInt above, so neither is used for values.)
// TEXT is bound/read with explicit byte lengths, so embedded NUL characters survive.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const nodeDir = path.resolve(process.argv[2] ?? path.dirname(fileURLToPath(import.meta.url)));
const pkg = (p) => path.join(nodeDir, 'node_modules', '@vlcn.io', p);
const log = (...a) => process.stderr.write(a.join(' ') + '\n');

// ---------- lossless JSON ----------
function parseJson(text) {
  let i = 0;
  const ws = () => { while (/[ \t\r\n]/.test(text[i] ?? '')) i++; };
  const fail = (m) => { throw new Error(`bad JSON at ${i}: ${m}`); };
  const token = (re) => { re.lastIndex = i; const m = re.exec(text); if (!m) fail('unexpected token'); i = re.lastIndex; return m[0]; };
  const NUM = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y, STR = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
  function value() {
    ws();
    const c = text[i];
    if (c === '{') {
      i++; const o = Object.create(null); ws();
      if (text[i] === '}') { i++; return o; }
      for (;;) { ws(); const k = JSON.parse(token(STR)); ws(); if (text[i++] !== ':') fail("':' expected"); o[k] = value(); ws();
        if (text[i] === ',') { i++; continue; } if (text[i++] === '}') return o; fail("',' or '}' expected"); }
    }
    if (c === '[') {
      i++; const a = []; ws();
      if (text[i] === ']') { i++; return a; }
      for (;;) { a.push(value()); ws(); if (text[i] === ',') { i++; continue; } if (text[i++] === ']') return a; fail("',' or ']' expected"); }
    }
    if (c === '"') return JSON.parse(token(STR));
    for (const [w, v] of [['true', true], ['false', false], ['null', null]]) if (text.startsWith(w, i)) { i += w.length; return v; }
    const n = token(NUM);
    return /[.eE]/.test(n) ? Number(n) : BigInt(n);
  }
  const v = value(); ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}
function realToJson(x) {
  if (Number.isNaN(x)) return 'null';
  if (!Number.isFinite(x)) return x > 0 ? '{"real":"Infinity"}' : '{"real":"-Infinity"}';
  if (Object.is(x, -0)) return '-0.0';
  const s = String(x);
  return /[.e]/.test(s) ? s : s + '.0';
}
function toJson(v) {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return realToJson(v);
  if (typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (v instanceof Uint8Array) return `{"blob":"${toHex(v)}"}`;
  if (Array.isArray(v)) return '[' + v.map(toJson).join(',') + ']';
  return '{' + Object.entries(v).map(([k, x]) => JSON.stringify(k) + ':' + toJson(x)).join(',') + '}';
}
const toHex = (b) => Buffer.from(b).toString('hex');
function fromHex(h, what) {
  if (typeof h !== 'string' || !/^(?:[0-9a-fA-F]{2})*$/.test(h)) throw new Error(`${what}: hex string expected`);
  return new Uint8Array(Buffer.from(h, 'hex'));
}
// JSON value -> JS value for binding: null | bigint (INTEGER) | number (REAL) | string | Uint8Array
function fromJsonValue(v, what) {
  if (v === null || typeof v === 'bigint' || typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1) {
    if (typeof v.blob === 'string') return fromHex(v.blob, what);
    if (v.real === 'Infinity') return Infinity;
    if (v.real === '-Infinity') return -Infinity;
  }
  throw new Error(`${what}: expected null, number, string, {"blob":hex} or {"real":"Infinity"|"-Infinity"}`);
}

// ---------- SQLite plumbing ----------
if (!fs.existsSync(path.join(pkg('crsqlite-wasm'), 'dist', 'crsqlite.wasm')) || !fs.existsSync(pkg('wa-sqlite'))) {
  log(`crsqlite-driver: @vlcn.io/crsqlite-wasm / @vlcn.io/wa-sqlite not found under ${nodeDir}/node_modules`);
  process.exit(2);
}
const SQLite = await import(pathToFileURL(path.join(pkg('wa-sqlite'), 'src', 'sqlite-api.js')).href);
const { default: factory } = await import(pathToFileURL(path.join(pkg('crsqlite-wasm'), 'dist', 'crsqlite.mjs')).href);
const Module = await factory({
  wasmBinary: fs.readFileSync(path.join(pkg('crsqlite-wasm'), 'dist', 'crsqlite.wasm')),
  print: (s) => log('[wasm]', s), printErr: (s) => log('[wasm]', s), // keep stdout clean
});
const sqlite3 = SQLite.Factory(Module);
const db = await sqlite3.open_v2(':memory:');
const MIN_I64 = -(2n ** 63n), MAX_I64 = 2n ** 63n - 1n;
const utf8 = new TextDecoder();

function bind(stmt, i, v) {
  if (v === null) return sqlite3.bind_null(stmt, i);
  if (typeof v === 'bigint') {
    if (v < MIN_I64 || v > MAX_I64) throw new Error(`integer ${v} out of 64-bit range`);
    return sqlite3.bind_int64(stmt, i, v);
  }
  if (typeof v === 'number') return sqlite3.bind_double(stmt, i, v);
  // TEXT and BLOB: copy bytes into wasm memory and bind with an explicit length (wa-sqlite's bind_text
  // stops at NUL and its bind_blob turns an empty blob into NULL because malloc(0) returns 0)
  const isText = typeof v === 'string';
  if (!isText && !(v instanceof Uint8Array)) throw new Error(`cannot bind ${typeof v}`);
  const bytes = isText ? Buffer.from(v, 'utf8') : v;
  const ptr = Module._sqlite3_malloc(bytes.length + 1);
  Module.HEAPU8.set(bytes, ptr);
  const rc = (isText ? Module._sqlite3_bind_text : Module._sqlite3_bind_blob)(stmt, i, ptr, bytes.length, Module._getSqliteFree());
  if (rc !== SQLite.SQLITE_OK) throw new Error(`bind ${isText ? 'text' : 'blob'} failed with code ${rc}`);
  return rc;
}
function column(stmt, i) {
  switch (sqlite3.column_type(stmt, i)) {
    case SQLite.SQLITE_INTEGER: return sqlite3.column_int64(stmt, i);
    case SQLite.SQLITE_FLOAT: return sqlite3.column_double(stmt, i);
    case SQLite.SQLITE_TEXT: return utf8.decode(sqlite3.column_blob(stmt, i));
    case SQLite.SQLITE_BLOB: return sqlite3.column_blob(stmt, i);
    default: return null;
  }
}
// Runs all statements in sql; binds params to each statement that has parameters; returns all rows.
async function query(sql, params = []) {
  const rows = [];
  for await (const stmt of sqlite3.statements(db, sql)) {
    const n = sqlite3.bind_parameter_count(stmt);
    if (n > params.length) throw new Error(`statement needs ${n} params, got ${params.length}`);
    for (let k = 1; k <= n; k++) bind(stmt, k, params[k - 1]);
    while (await sqlite3.step(stmt) === SQLite.SQLITE_ROW) {
      const row = [];
      for (let c = 0; c < sqlite3.data_count(stmt); c++) row.push(column(stmt, c));
      rows.push(row);
    }
  }
  return rows;
}

// ---------- commands ----------
const CHANGE_COLS = ['table', 'pk', 'cid', 'val', 'col_version', 'db_version', 'site_id', 'cl', 'seq'];
const INT_COLS = new Set(['col_version', 'db_version', 'cl', 'seq']);
function int(v, what) { if (typeof v !== 'bigint') throw new Error(`${what}: integer expected`); return v; }

async function changes(since) {
  const rows = await query('SELECT [table], pk, cid, val, col_version, db_version, site_id, cl, seq FROM crsql_changes ' +
    'WHERE db_version > ? ORDER BY db_version, seq', [int(since, 'since')]);
  return rows.map((r) => {
    const c = Object.fromEntries(CHANGE_COLS.map((k, j) => [k, r[j]]));
    c.pk = toHex(c.pk); c.site_id = c.site_id === null ? null : toHex(c.site_id);
    return c;
  });
}
async function merge(list) {
  if (!Array.isArray(list)) throw new Error('changes: array expected');
  const args = list.map((c, n) => CHANGE_COLS.map((k) => {
    const what = `changes[${n}].${k}`;
    if (!(k in c)) throw new Error(`${what} missing`);
    if (k === 'pk' || k === 'site_id') return fromHex(c[k], what);
    if (k === 'val') return fromJsonValue(c[k], what);
    if (INT_COLS.has(k)) return int(c[k], what);
    if (typeof c[k] !== 'string') throw new Error(`${what}: string expected`);
    return c[k];
  }));
  await query('BEGIN');
  try {
    for await (const stmt of sqlite3.statements(db,
      'INSERT INTO crsql_changes ([table], pk, cid, val, col_version, db_version, site_id, cl, seq) VALUES (?,?,?,?,?,?,?,?,?)')) {
      for (const a of args) {
        await sqlite3.reset(stmt);
        a.forEach((v, j) => bind(stmt, j + 1, v));
        await sqlite3.step(stmt);
      }
    }
    await query('COMMIT');
  } catch (e) {
    await query('ROLLBACK').catch((e2) => log('rollback failed:', e2.message));
    throw e;
  }
  return args.length;
}
async function close() {
  await query('SELECT crsql_finalize()');
  await sqlite3.close(db);
}

let closed = false;
async function handle(line) {
  const cmd = parseJson(line);
  switch (cmd?.op) {
    case 'exec':
      if (typeof cmd.sql !== 'string') throw new Error('sql: string expected');
      return { ok: true, rows: await query(cmd.sql, (cmd.params ?? []).map((p, n) => fromJsonValue(p, `params[${n}]`))) };
    case 'changes': return { ok: true, changes: await changes(cmd.since ?? 0n) };
    case 'merge': return { ok: true, count: BigInt(await merge(cmd.changes)) };
    case 'siteId': return { ok: true, siteId: toHex((await query('SELECT crsql_site_id()'))[0][0]) };
    case 'close': await close(); closed = true; return { ok: true };
    default: throw new Error(`unknown op ${JSON.stringify(cmd?.op ?? null)}`);
  }
}

const write = (obj) => new Promise((res) => process.stdout.write(toJson(obj) + '\n', res));
for await (const line of readline.createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (!line.trim()) continue;
  let resp;
  try { resp = await handle(line); } catch (e) { resp = { ok: false, error: String(e?.message ?? e) }; }
  await write(resp);
  if (closed) break;
}
if (!closed) await close().catch((e) => log('close failed:', e.message));
process.exit(0);
