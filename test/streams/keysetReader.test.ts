import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, type Emulator } from '../../fixtures/emulator/index.js';
import { parseConfig } from '../../connector/config/config.js';
import { createKalturaClient } from '../../connector/kaltura/index.js';
import { Logger } from '../../connector/util/logger.js';
import { SourceSelector, type Pager } from '../../connector/engine/source.js';
import { readKeyset, type KeysetOptions } from '../../connector/engine/keyset.js';
import { media } from '../../connector/streams/media.js';
import { bulkUpdate } from '../emulator/helpers.js';

// The keyset reader on a second shared by more rows than `idNotIn` can exclude, and on a window
// whose rest it reads by offset: what they cost in requests, and what happens when rows leave
// while pages are read by offset.
let emu: Emulator;
before(async () => {
  emu = await startEmulator({ entries: 3000, categories: 10, seed: 41 });
});
after(() => emu.close());

type Hook = (filter: Record<string, string | number>, pager: Pager) => void;

/** `width` 1: one request at a time, as for a window among many (no offset pass). */
function reader(onList: Hook = () => {}, width = 1) {
  const t = emu.tokens.admin!;
  const log: string[] = [];
  const logger = new Logger((_level, message) => log.push(message));
  const config = parseConfig({ service_url: emu.url, partner_id: t.partnerId, app_token_id: t.id, app_token: t.token, hash_type: t.hashType, max_concurrency: 4 });
  const client = createKalturaClient(config, logger);
  const source = new SourceSelector(client, media, (m) => log.push(m));
  const calls: Array<Record<string, string | number>> = [];
  const list = source.list.bind(source);
  source.list = async (filter, pager, signal) => {
    calls.push({ ...filter, pageIndex: pager.pageIndex, pageSize: pager.pageSize });
    onList(filter, pager);
    return list(filter, pager, signal);
  };
  const opts: KeysetOptions = { def: media, source, pageSize: 500, readers: 4, width: () => width, log: (m) => log.push(m) };
  return { opts, log, calls };
}

async function readAll(opts: KeysetOptions, to: number, checkpoints: number[] = []): Promise<string[]> {
  const ids: string[] = [];
  for await (const page of readKeyset(opts, { to })) {
    for (const row of page.rows) ids.push(String(row.id));
    checkpoints.push(page.checkpoint);
  }
  return ids;
}

/** Media entries (as media.list lists them) whose updatedAt is `second`. */
function mediaAt(second: number): string[] {
  return emu.control.truth('media').filter((t) => t.updatedAt === second).map((t) => String(t.id));
}

test('a bulk second of 1,800 entries costs about one request per 500 rows, and every entry comes once', async () => {
  const c = emu.control;
  const second = bulkUpdate(emu, 2000);
  c.advanceClock(5);
  const bulk = mediaAt(second);
  assert.ok(bulk.length > 1000, `the second holds ${bulk.length} media entries, more than idNotIn can exclude`);
  const { opts, log, calls } = reader();
  const ids = await readAll(opts, c.now());
  assert.equal(new Set(ids).size, ids.length, 'no entry twice');
  assert.deepEqual(new Set(ids), new Set(c.truth('media').map((t) => String(t.id))), 'every entry');
  const rows = c.truth('media').length;
  // 500-row pages: ceil(rows / 500) is the floor; the crowded second may add one page it re-reads
  // in part, and the windowless reader's last page is partial.
  assert.ok(calls.length <= Math.ceil(rows / 500) + 2, `${calls.length} list requests for ${rows} rows`);
  assert.ok(calls.some((f) => typeof f.idNotIn === 'string' && f.orderBy === '+createdAt' && Number(f.pageIndex) > 1), 'offset pages of the crowded second exclude rows read already');
  assert.ok(log.some((m) => /rows share updatedAt/.test(m)), 'the crowded second is logged');
});

test('rows that leave a crowded second while it is paged are re-counted, and the rest still come once', async () => {
  const c = emu.control;
  const second = bulkUpdate(emu, 2000);
  c.advanceClock(5);
  const to = c.now();
  const bulk = mediaAt(second);
  let moved: string[] = [];
  const { opts, log } = reader((filter, pager) => {
    // While the crowded second is paged by offset, 30 of its rows are updated again (they move
    // past the read's end): the pages after the move shift under the offsets.
    if (moved.length === 0 && filter.orderBy === '+createdAt' && pager.pageIndex === 2) {
      moved = c.updateEntries(bulk.slice(0, 30));
    }
  });
  const ids = await readAll(opts, to);
  assert.equal(moved.length, 30, 'the rows were moved during the read');
  // A moved row may come twice, once per version: at the bulk second and at its new updatedAt.
  const others = ids.filter((id) => !moved.includes(id));
  assert.equal(new Set(others).size, others.length, 'no entry that stayed comes twice');
  const got = new Set(ids);
  const stayed = mediaAt(second);
  assert.equal(stayed.length, bulk.length - 30);
  for (const id of stayed) assert.ok(got.has(id), `${id}, still at the bulk second, was read`);
  assert.ok(log.some((m) => /changed while they were read/.test(m)), 'the shortfall was noticed and the second read again');
});

test('a counted window under the cap is read by offset, several pages at once, each entry once', async () => {
  const c = emu.control;
  c.advanceClock(5);
  const to = c.now();
  let inFlight = 0;
  let most = 0;
  const { opts, calls, log } = reader(() => {}, 4);
  const list = opts.source.list.bind(opts.source);
  opts.source.list = async (filter, pager, signal) => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    try {
      return await list(filter, pager, signal);
    } finally {
      inFlight -= 1;
    }
  };
  const checkpoints: number[] = [];
  const ids = await readAll(opts, to, checkpoints);
  const truth = c.truth('media').filter((t) => t.updatedAt <= to).map((t) => String(t.id));
  assert.equal(new Set(ids).size, ids.length, 'no entry twice');
  assert.deepEqual(new Set(ids), new Set(truth), 'every entry');
  assert.ok(calls.some((f) => f.orderBy === '+updatedAt' && Number(f.pageIndex) > 1), 'pages after the first are read by offset');
  assert.ok(most >= 3, `several pages were in flight at once (${most})`);
  assert.ok(calls.length <= Math.ceil(truth.length / 500) + 1, `${calls.length} list requests for ${truth.length} rows`);
  assert.equal(checkpoints.at(-1), to + 1, 'the window ends with everything up to its end claimed');
  assert.ok(!log.some((m) => /read by offset; reading it again/.test(m)), 'nothing changed, nothing read again');
});

test('rows that leave a window while it is read by offset: the pass claims nothing and the rest is read by keyset', async () => {
  const c = emu.control;
  c.advanceClock(5);
  const to = c.now() - 1;
  const rowsBefore = c.truth('media').filter((t) => t.updatedAt <= to);
  const before = rowsBefore.map((t) => String(t.id));
  let moved: string[] = [];
  const { opts, log } = reader((filter, pager) => {
    // Page 5 is asked for only after page 1 (whose count the pass trusts) was answered and handed on.
    if (moved.length === 0 && filter.orderBy === '+updatedAt' && pager.pageIndex === 5) moved = c.updateEntries(before.slice(100, 130));
  }, 4);
  const checkpoints: number[] = [];
  const ids: string[] = [];
  const early: string[] = [];
  for await (const page of readKeyset(opts, { to })) {
    for (const row of page.rows) ids.push(String(row.id));
    checkpoints.push(page.checkpoint);
    // The state contract: every row below the checkpoint has been handed on (rows that moved away excepted).
    const delivered = new Set(ids);
    for (const t of rowsBefore) if (t.updatedAt < page.checkpoint && !delivered.has(String(t.id)) && !moved.includes(String(t.id))) early.push(String(t.id));
  }
  assert.deepEqual(early, [], 'no checkpoint claimed a row before it was handed on');
  assert.equal(moved.length, 30, 'the rows moved during the read');
  assert.equal(new Set(ids).size, ids.length, 'no entry twice');
  const got = new Set(ids);
  for (const id of before) if (!moved.includes(id)) assert.ok(got.has(id), `${id}, which stayed, was read`);
  assert.ok(log.some((m) => /read by offset; reading it again/.test(m)), 'the shortfall was noticed');
  assert.ok(checkpoints.every((p, i) => i === 0 || p >= checkpoints[i - 1]!), 'checkpoints never go back');
});
