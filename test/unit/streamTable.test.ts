import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../helpers/cli.js';
import { streams } from '../../connector/streams/index.js';
import { airbyteCatalog } from '../../connector/protocol/airbyte/catalog.js';
import { profileStream } from '../../connector/streams/profileStreams.js';
import { ACTION_PERMISSIONS, ROLE_READ_ONLY, isActionPermitted, stockRoles } from '../../fixtures/emulator/permissions.js';

// The documentation's tables (README's streams, docs/kaltura-token.md's least-privilege recipe)
// against the stream definitions and the emulator's read-only role, so that neither can change
// without the other.
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const tokenDoc = readFileSync(join(repoRoot, 'docs', 'kaltura-token.md'), 'utf8');

/** The rows of the first Markdown table after `heading` in `doc` whose header row is `header`. */
function table(heading: string, header: string, doc = readme): string[][] {
  const from = doc.indexOf(heading);
  assert.ok(from >= 0, `the document has "${heading}"`);
  const lines = doc.slice(from).split('\n');
  const start = lines.findIndex((l) => l.trim() === header);
  assert.ok(start >= 0, `the document has the table "${header}" after "${heading}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split(' | ')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

/** "`a`, `b`" → ["a", "b"]. */
const codes = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
const plain = (text: string): string => text.replace(/`/g, '').replace(/\s+/g, ' ').trim();

const allStreamRows = table('## Streams', '| stream | Kaltura source | primary key | cursor | sync modes | what a deletion looks like |');
/** Rows of the fixed streams; profile streams are made per server, and have one row named with a placeholder (`metadata_<system name>`). */
const streamRows = allStreamRows.filter((r) => !codes(r[0]!)[0]!.includes('<'));
const profileRow = allStreamRows.find((r) => codes(r[0]!)[0]!.includes('<'));
const catalog = airbyteCatalog() as { streams: Array<{ name: string; supported_sync_modes: string[]; default_cursor_field: string[]; source_defined_primary_key: string[][] }> };

test('the README stream table names every stream the connector offers, in catalog order', () => {
  assert.deepEqual(
    streamRows.map((r) => codes(r[0]!)[0]),
    streams.map((s) => s.name),
  );
});

for (const def of streams) {
  test(`README stream table: ${def.name} has the definition's source, primary key, cursor, sync modes and deletions`, () => {
    const row = streamRows.find((r) => codes(r[0]!)[0] === def.name);
    assert.ok(row, `${def.name} has a row`);
    const [, source, key, cursor, modes, deletions] = row;
    assert.equal(codes(source!)[0], `${def.source.service}.list`, 'Kaltura source');
    if (def.parents) {
      const parent = def.parents.of.name === 'categories' ? 'category' : 'entry';
      assert.match(source!, new RegExp(`by batches of ${def.parents.batchSize ?? 500} ${parent} ids`), 'read by batches of parent ids');
    } else {
      assert.doesNotMatch(source!, /by batches/, 'not read by parents');
    }
    assert.deepEqual(codes(key!), def.primaryKey.map((path) => path.join('.')), 'primary key');
    assert.deepEqual(codes(cursor!), [def.cursorField], 'cursor');
    const offered = catalog.streams.find((s) => s.name === def.name)!;
    assert.deepEqual(offered.default_cursor_field, [def.cursorField]);
    assert.deepEqual(offered.source_defined_primary_key, def.primaryKey);
    assert.deepEqual(
      modes!.split(',').map((m) => m.trim().replace(' ', '_')),
      offered.supported_sync_modes,
      'sync modes',
    );
    assert.equal(plain(deletions!), plain(def.deletions), 'the deletions column is the definition\'s `deletions`');
  });
}

test('README stream table: a row for the profile streams, if there is one, has their source, key, cursor and deletions', () => {
  if (!profileRow) return;
  const def = profileStream({ id: 1, metadataObjectType: '1', xsd: '' }, 'metadata_x').def;
  const [name, source, key, cursor, modes, deletions] = profileRow;
  assert.equal(codes(name!)[0], 'metadata_<system name>');
  assert.equal(codes(source!)[0], `${def.source.service}.list`);
  assert.deepEqual(codes(key!), ['entryId', 'categoryId', 'userId']);
  assert.deepEqual(codes(cursor!), [def.cursorField]);
  assert.match(modes!, /full refresh, incremental/);
  assert.equal(plain(deletions!), plain(def.deletions));
});

test('README: category_entries says that status changes, like removals, need a full refresh', () => {
  const row = streamRows.find((r) => codes(r[0]!)[0] === 'category_entries')!;
  assert.match(row[5]!, /status changes, like removals, .*full refresh/);
});

test('docs/kaltura-token.md least-privilege recipe: the role the emulator enforces, and a permission for every action each stream calls', () => {
  const role = stockRoles().find((r) => r.id === ROLE_READ_ONLY)!;
  const recipe = /"permissionNames": "([A-Z_,]+)"/.exec(tokenDoc);
  assert.ok(recipe, 'the AppToken section gives the userRole.add permissionNames');
  assert.deepEqual(recipe[1]!.split(',').sort(), [...role.permissions].sort(), 'the recipe is the emulator\'s read-only role (the `readOnly` token)');
  const rows = table('## Creating an AppToken for the connector', '| stream | Kaltura actions it calls | permission of the role that allows them |', tokenDoc);
  assert.deepEqual(
    rows.map((r) => codes(r[0]!)[0]),
    streams.map((s) => s.name),
  );
  for (const def of streams) {
    const [, actionsCell, permissionsCell] = rows.find((r) => codes(r[0]!)[0] === def.name)!;
    const actions = codes(actionsCell!).filter((a) => a.endsWith('.list'));
    const permissions = codes(permissionsCell!);
    // What the connector calls: its list (or, when refused, its fallback) and its parents' list.
    const own = isActionPermitted([role], `${def.source.service}.list`) ? def.source.service : def.fallbackSource!.service;
    const needed = [`${own}.list`, ...(def.parents ? [`${(def.parents.of.fallbackSource ?? def.parents.of.source).service}.list`] : [])];
    for (const action of needed) assert.ok(actions.includes(action), `${def.name}: the table names ${action}`);
    for (const action of actions.filter((a) => a !== 'media.list')) {
      assert.ok(isActionPermitted([role], action), `${def.name}: the role may call ${action}`);
      assert.ok(
        permissions.some((p) => ACTION_PERMISSIONS[action]?.includes(p)),
        `${def.name}: one of ${permissions.join(', ')} allows ${action}`,
      );
    }
  }
});
