import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { repoRoot, tempDir, writeJson } from '../helpers/cli.js';
import { startFixture, type Fixture } from '../helpers/setup.js';
import { run } from '../singer/run.js';
import { runConnector, ofType } from '../helpers/cli.js';
import type { TruthStream } from '../../fixtures/emulator/control.js';

/** A stream as a read of every stream writes it: the fixed streams, then one per metadata profile. */
interface StreamDefinition {
  name: string;
  primaryKey: string[][];
  cursorField: string;
  columns: string[];
  /** A profile stream's profile: its truth is the profile's metadata objects. */
  profileId?: number;
}

let fx: Fixture;
/** Every stream of the emulated server, as discover offers it (what a read without a catalog reads). */
let streams: StreamDefinition[];
before(async () => {
  fx = await startFixture({ entries: 2_500, categories: 150, seed: 71 });
  const discovered = await runConnector(['discover', '--config', fx.config()]);
  streams = (ofType(discovered.messages, 'CATALOG')[0]!.catalog.streams as Array<{ name: string; source_defined_primary_key: string[][]; default_cursor_field: string[]; json_schema: { properties: object; $comment?: string } }>).map((s) => ({
    name: s.name,
    primaryKey: s.source_defined_primary_key,
    cursorField: s.default_cursor_field[0]!,
    columns: Object.keys(s.json_schema.properties),
    profileId: s.json_schema.$comment ? Number(/\d+$/.exec(s.json_schema.$comment)![0]) : undefined,
  }));
  assert.ok(streams.some((s) => s.profileId !== undefined), 'the account has metadata profile streams');
});
after(() => fx.close());

const fileName = (stream: string, format: string) => new RegExp(`^${stream}-\\d{8}T\\d{6}Z-p\\d+-[0-9a-f]{8}\\.${format}$`);
const seconds = (iso: string) => Date.parse(iso) / 1000;
const sorted = <T>(xs: T[]) => [...xs].sort((a, b) => String(a).localeCompare(String(b)));

function cron(dir: string, options: { format?: 'csv' | 'jsonl'; state?: string | false; config?: string; extra?: string[]; env?: NodeJS.ProcessEnv; killWhen?: (stderr: string) => boolean } = {}) {
  const args = ['read', '--config', options.config ?? fx.config(), '--output', options.format ?? 'csv', '--output-dir', dir, '--progress-interval', '0'];
  if (options.state !== false) args.push('--state-file', options.state ?? join(dir, 'state.json'));
  return run('connector', [...args, ...(options.extra ?? [])], { env: options.env ? { ...process.env, ...options.env } : undefined, killWhen: options.killWhen });
}

function filesOf(dir: string, stream: string, format = 'csv'): string[] {
  return readdirSync(dir).filter((n) => fileName(stream, format).test(n)).sort();
}

/** A CSV file parsed back: its header and one object per row, every cell as text. */
function readCsv(path: string): { header: string[]; rows: Array<Record<string, string>> } {
  const [header, ...rows] = parse(readFileSync(path, 'utf8')) as string[][];
  return { header: header!, rows: rows.map((r) => Object.fromEntries(header!.map((c, i) => [c, r[i]!]))) };
}

const readJsonl = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);

/** A row's primary key as one string: a CSV row's (cells are text) or a ground-truth row's. */
const keyOf = (def: StreamDefinition, row: Record<string, unknown>) => def.primaryKey.map(([field]) => String(row[field!])).join(':');

/**
 * A file of a full read that started at `startedAt` (server seconds) holds every row of the
 * account, once, and nothing else. Rows stamped after the start (the emulator dates a new entry's
 * assets minutes ahead, as transcoding would) are the next run's, but if read they are real rows.
 */
function assertHoldsEveryRow(def: StreamDefinition, rows: Array<Record<string, unknown>>, startedAt: number, what: string) {
  const control = fx.emulator.control;
  const truth = (def.profileId !== undefined
    ? control.metadataOfProfile(def.profileId).map((t) => ({ [def.primaryKey[0]![0]!]: t.objectId, updatedAt: t.updatedAt }))
    : control.truth(def.name as TruthStream)) as unknown as Array<Record<string, unknown>>;
  const keys = rows.map((row) => keyOf(def, row));
  assert.equal(new Set(keys).size, keys.length, `${what}: no row twice`);
  const real = new Set(truth.map((t) => keyOf(def, t)));
  assert.deepEqual(keys.filter((k) => !real.has(k)), [], `${what}: only rows of the account`);
  const due = truth.filter((t) => (t[def.cursorField] as number) <= startedAt);
  assert.ok(due.length > 0, `the account has ${def.name}`);
  const inFile = new Set(keys);
  assert.deepEqual(due.filter((t) => !inFile.has(keyOf(def, t))).map((t) => keyOf(def, t)), [], `${what}: every row of the account`);
}

/** Waits (at most 10 s) until the process named in a lock file is no longer alive. */
async function holderGone(lock: string): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(lock, 'utf8'), 10);
  } catch {
    return;
  }
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The documented CSV form of a value. */
const cell = (value: unknown) => (value === undefined || value === null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value));

test('a first run writes one complete file per stream and a state file; the CSV parses back to exactly the records', async () => {
  const dir = tempDir();
  const control = fx.emulator.control;
  const startedAt = control.now();
  const r = await cron(dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '', 'nothing on stdout');
  const names = readdirSync(dir).sort();
  assert.equal(names.length, streams.length + 1, `one data file per stream and the state file, nothing else: ${names.join(', ')}`);
  const files = new Map(streams.map((def) => [def.name, filesOf(dir, def.name)]));
  for (const [stream, found] of files) assert.equal(found.length, 1, `one ${stream} file: ${names.join(', ')}`);
  const fileOf = (stream: string) => files.get(stream)![0]!;
  assert.equal(new Set(streams.map((def) => fileOf(def.name).slice(def.name.length))).size, 1, 'one timestamp per run');

  const csvs = new Map<string, ReturnType<typeof readCsv>>();
  for (const def of streams) {
    const csv = readCsv(join(dir, fileOf(def.name)));
    csvs.set(def.name, csv);
    assert.deepEqual(csv.header, def.columns, `${def.name}: header row in schema order`);
    assertHoldsEveryRow(def, csv.rows, startedAt, fileOf(def.name));
  }
  assert.deepEqual(sorted(csvs.get('media')!.rows.map((row) => row.id)), sorted(control.truth('media').map((t) => t.id)), 'every entry');

  // The same read as JSONL holds the records as the engine shaped them: every CSV cell must match.
  const jsonDir = tempDir();
  const j = await cron(jsonDir, { format: 'jsonl', state: false });
  assert.equal(j.code, 0, j.stderr);
  assert.deepEqual(readdirSync(jsonDir).length, streams.length, 'without --state-file, no state file');
  const records = readJsonl(join(jsonDir, filesOf(jsonDir, 'media', 'jsonl')[0]!));
  assert.ok(records.some((rec) => /\n/.test(rec.name)) && records.some((rec) => /"/.test(rec.name)) && records.some((rec) => /,/.test(rec.name)), 'the account has names with newlines, quotes and commas');
  assert.ok(records.some((rec) => /[^\x00-\x7f]/.test(rec.name)), 'and non-ASCII names');
  for (const def of streams) {
    const csv = csvs.get(def.name)!;
    const byKey = new Map(csv.rows.map((row) => [keyOf(def, row), row]));
    const jsonl = readJsonl(join(jsonDir, filesOf(jsonDir, def.name, 'jsonl')[0]!));
    assert.equal(jsonl.length, csv.rows.length, `${def.name}: as many JSONL records as CSV rows`);
    for (const rec of jsonl) {
      const row = byKey.get(keyOf(def, rec));
      assert.ok(row, `${def.name} ${keyOf(def, rec)} is in the CSV`);
      for (const column of csv.header) assert.equal(row[column], cell(rec[column]), `${def.name} ${keyOf(def, rec)}.${column}`);
      assert.match(row[def.cursorField]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'times in RFC 3339 UTC');
    }
  }

  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8'));
  assert.equal(state.version, 1);
  assert.deepEqual(Object.keys(state.streams).sort(), sorted(streams.map((def) => def.name)));
  for (const def of streams) {
    const s = state.streams[def.name];
    assert.equal(s.state_version, 2);
    assert.ok(seconds(s[def.cursorField]) <= control.now(), `${def.name}: a state on its cursor ${def.cursorField}, never past the moment the read started`);
  }
  assert.match(r.stderr, /INFO media: [\d,]+ records of about [\d,]+ \(\d+%\), \d+ pages, [\d,]+ records\/s/, 'plain progress lines when stderr is not a terminal');
  const summary = r.stderr.trimEnd().split('\n').at(-1)!;
  const perStream = streams.map((def) => `${def.name}: [\\d,]+ records in ${fileOf(def.name)}`).join('; ');
  assert.match(summary, new RegExp(`Read finished in [\\d.]+s: ${perStream}; state file`));
});

test('the next run reads only what changed, into new files, and moves the state on', async () => {
  const dir = tempDir();
  const first = await cron(dir, { config: fx.config('admin', { lookback_window_seconds: 0 }) });
  assert.equal(first.code, 0, first.stderr);
  const before = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).streams;
  const control = fx.emulator.control;
  const updated = control.updateEntries(control.truth('media').slice(10, 14).map((t) => String(t.id)));
  const added = control.addEntries(2);
  // A read ends with the last whole second before it starts: let the changes' second pass.
  control.advanceClock(2);

  const second = await cron(dir, { config: fx.config('admin', { lookback_window_seconds: 0 }) });
  assert.equal(second.code, 0, second.stderr);
  const mediaFiles = filesOf(dir, 'media');
  assert.equal(mediaFiles.length, 2, 'one file per run');
  const rows = readCsv(join(dir, mediaFiles[1]!)).rows;
  const changed = new Set<string>([...updated, ...added]);
  for (const id of changed) assert.ok(rows.some((row) => row.id === id), `changed entry ${id} is in the new file`);
  for (const row of rows) assert.ok(changed.has(row.id!) || seconds(row.updatedAt!) >= seconds(before.media.updatedAt), `${row.id} is a change or at the saved cursor`);
  const after = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).streams;
  assert.ok(seconds(after.media.updatedAt) >= seconds(before.media.updatedAt));
});

test('a run killed in the middle leaves no half-written file under a final name and no state beyond complete files; the next run cleans up', async () => {
  const dir = tempDir();
  const state = join(dir, 'state.json');
  const previous = `${JSON.stringify({ version: 1, streams: { media: { updatedAt: '2000-01-01T00:00:00Z', state_version: 1 }, categories: { updatedAt: '2000-01-01T00:00:00Z', state_version: 1 } } }, null, 2)}\n`;
  writeFileSync(state, previous);
  fx.emulator.control.setFaults({ latencyMs: 40, onlyServices: ['media.list', 'category.list'] });
  const startedAt = fx.emulator.control.now();
  let killed;
  try {
    killed = await cron(dir, { config: fx.config('admin', { page_size: 50 }), killWhen: (stderr) => /INFO (media|categories): [\d,]+ records/.test(stderr) });
  } finally {
    fx.emulator.control.clearFaults();
  }
  assert.equal(killed.signal, 'SIGKILL');
  const left = readdirSync(dir);
  // The streams being read when the kill came: only hidden temporary files, and their state as it was.
  for (const stream of ['media', 'categories']) assert.deepEqual(filesOf(dir, stream), [], `no complete-looking ${stream} file: ${left.join(', ')}`);
  assert.ok(left.some((n) => /^\.media-.*\.csv\.\d+\.tmp$/.test(n)), 'only hidden temporary files');
  const saved = JSON.parse(readFileSync(state, 'utf8'));
  assert.deepEqual({ media: saved.streams.media, categories: saved.streams.categories }, JSON.parse(previous).streams, 'their state is unchanged');
  // A small stream may have finished before the kill: then its file is complete (every row of the
  // account), and only then may the state cover it.
  const finals = left.filter((n) => !n.startsWith('.') && n !== 'state.json' && n !== 'state.json.lock');
  for (const name of finals) {
    const def = streams.find((d) => fileName(d.name, 'csv').test(name));
    assert.ok(def, `${name} is a stream's file`);
    assertHoldsEveryRow(def, readCsv(join(dir, name)).rows, startedAt, `${name}, complete`);
  }
  for (const stream of Object.keys(saved.streams)) {
    if (stream === 'media' || stream === 'categories') continue;
    assert.equal(filesOf(dir, stream).length, 1, `the state covers ${stream} only if its file is complete`);
  }

  // The killed command's reader (relaunched under the heap caps) dies when it sees its parent gone;
  // the next run starts once it has, as a cron job an hour later would.
  await holderGone(`${state}.lock`);
  const next = await cron(dir);
  assert.equal(next.code, 0, next.stderr);
  assert.match(next.stderr, /Removed \d+ temporary file\(s\) left by an interrupted run/);
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.') || n.endsWith('.lock')), [], 'no temporary file and no lock left');
  assert.equal(filesOf(dir, 'media').length, 1);
});

test('a stream that fails is named and exits 1; its file holds exactly what its saved state covers, the other stream completes', async () => {
  const dir = tempDir();
  const control = fx.emulator.control;
  control.setFaults({ latencyMs: 20, onlyServices: ['media.list'] });
  let r;
  try {
    r = await cron(dir, {
      config: fx.config('admin', { page_size: 100, max_concurrency: 2 }),
      env: { SOURCE_KALTURA_MAX_RETRY_SECONDS: '2' },
      killWhen: (stderr) => {
        // After media's third page, every later media request fails (the kill hook only watches here).
        if (/INFO media: [\d,]+ records.*, 3 pages/.test(stderr)) control.setFaults({ httpErrorRate: 1, httpErrorStatuses: [503], onlyServices: ['media.list'] });
        return false;
      },
    });
  } finally {
    control.clearFaults();
  }
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /ERROR media: .*503/);
  // The summary is the last line, even though requests of the failed stream's other windows may
  // still be retrying when it is printed.
  const summary = r.stderr.trimEnd().split('\n').at(-1)!;
  assert.match(summary, /ERROR Read failed for media after [\d.]+s: media: FAILED, kept [\d,]+ records in media-\S+\.csv, state saved up to them; categories: [\d,]+ records in categories-/);

  const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).streams;
  const [mediaFile] = filesOf(dir, 'media');
  assert.ok(mediaFile && state.media, 'the part read before the failure is kept, with its state');
  const ids = new Set(readCsv(join(dir, mediaFile)).rows.map((row) => row.id));
  const covered = control.truth('media').filter((t) => t.updatedAt < seconds(state.media.updatedAt));
  assert.ok(covered.length > 0 && covered.length < control.truth('media').length);
  assert.deepEqual(covered.filter((t) => !ids.has(String(t.id))).map((t) => t.id), [], 'every record the state claims is in the file');
  assert.equal(readCsv(join(dir, filesOf(dir, 'categories')[0]!)).rows.length, control.truth('categories').length);
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.')), []);

  // The next run goes on from the saved state and completes media.
  const next = await cron(dir);
  assert.equal(next.code, 0, next.stderr);
  const second = new Set(readCsv(join(dir, filesOf(dir, 'media')[1]!)).rows.map((row) => row.id));
  assert.deepEqual(control.truth('media').filter((t) => !ids.has(String(t.id)) && !second.has(String(t.id))).map((t) => t.id), [], 'the two files together hold every entry');
});

test('a full-refresh stream that fails leaves no file; a catalog chooses the streams and their modes', async () => {
  const dir = tempDir();
  const catalog = fx.catalog([['media', 'incremental'], ['categories', 'full_refresh']]);
  fx.emulator.control.setFaults({ httpErrorRate: 1, httpErrorStatuses: [503], onlyServices: ['category.list'] });
  let r;
  try {
    r = await cron(dir, { extra: ['--catalog', catalog], env: { SOURCE_KALTURA_MAX_RETRY_SECONDS: '2' } });
  } finally {
    fx.emulator.control.clearFaults();
  }
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Read failed for categories/);
  assert.deepEqual(filesOf(dir, 'categories'), [], 'an incomplete snapshot is not left to be mistaken for a complete one');
  assert.equal(filesOf(dir, 'media').length, 1);
  assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).streams), ['media'], 'no state for a full-refresh stream');

  const only = tempDir();
  const categoriesOnly = await cron(only, { format: 'jsonl', extra: ['--catalog', fx.catalog([['categories', 'full_refresh']])] });
  assert.equal(categoriesOnly.code, 0, categoriesOnly.stderr);
  assert.deepEqual(readdirSync(only).map((n) => n.replace(/\d{8}T\d{6}Z-p\d+-[0-9a-f]{8}/, 'T')), ['categories-T.jsonl'], 'one stream, and no state file when nothing is incremental');
});

test('bad input exits 2, names the problem, and changes no file', async () => {
  const dir = tempDir();
  const state = join(dir, 'state.json');
  const cases: Array<[string, Parameters<typeof cron>[1], RegExp]> = [
    ['{"version": 1, "streams": {"media": {"updatedAt": "soon", "state_version": 1}}}', {}, /saved state of stream media has no valid "updatedAt"/],
    ['{"bookmarks": {}}', {}, /not a state file of this connector: .*unknown key "bookmarks"/],
    ['{"version": 1, "streams": {}}', { config: writeJson(dir, 'bad-config.json', { partner_id: 1 }) }, /app_token_id: is required/],
    ['{"version": 1, "streams": {}}', { extra: ['--catalog', writeJson(dir, 'catalog.json', { streams: [{ stream: { name: 'playlists' }, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' }] })] }, /"playlists"/],
    ['{"version": 1, "streams": {}}', { extra: ['--state', state] }, /with --output use --state-file/],
  ];
  for (const [content, options, reason] of cases) {
    writeFileSync(state, content);
    const r = await cron(dir, options);
    assert.equal(r.code, 2, `${reason}: ${r.stderr}`);
    assert.match(r.stderr, reason);
    assert.equal(readFileSync(state, 'utf8'), content, 'the state file is untouched');
    assert.deepEqual(readdirSync(dir).filter((n) => /\.(csv|jsonl|tmp|lock)$/.test(n)), [], 'no data file, temporary file or lock left');
  }
  const missingDir = await run('connector', ['read', '--config', fx.config(), '--output', 'csv']);
  assert.equal(missingDir.code, 2);
  assert.match(missingDir.stderr, /--output-dir/);
  const wrongFormat = await run('connector', ['read', '--config', fx.config(), '--output', 'xlsx', '--output-dir', dir]);
  assert.equal(wrongFormat.code, 2);
  assert.match(wrongFormat.stderr, /csv, jsonl|"csv", "jsonl"/);
});

test('a second run on the same state file while the first is alive refuses to start', async () => {
  const dir = tempDir();
  const state = join(dir, 'state.json');
  copyFileSync(join(repoRoot, 'package.json'), join(dir, 'unrelated.json'));
  writeFileSync(`${state}.lock`, `${process.pid}\n`);
  const r = await cron(dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`Another run \\(process ${process.pid}\\) is using the state file`));
  assert.deepEqual(readdirSync(dir).sort(), ['state.json.lock', 'unrelated.json']);
});
