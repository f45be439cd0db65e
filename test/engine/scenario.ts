/**
 * A test case as a small description (groups of rows sharing a second, changes at given requests,
 * kill points, settings) and the fake partner built from it. The description is what fast-check
 * generates and shrinks, so a failure comes back as a few groups and a few changes.
 */
import type { StreamDefinition } from '../../connector/streams/definition.js';
import { media } from '../../connector/streams/media.js';
import { categories } from '../../connector/streams/categories.js';
import { users } from '../../connector/streams/users.js';
import { categoryEntries } from '../../connector/streams/categoryEntries.js';
import { FakeClock, FakeKaltura, FakeTable, prng, shapes, type Row, type TieOrder } from './fakeTable.js';

/** 2023-11-14T22:13:20Z: far from the ten-year "relative time" zone. */
export const T0 = 1_700_000_000;

/** `count` rows whose cursor is T0 + `second`; their createdAt spread over `spread` + 1 seconds before it. */
export interface Group {
  second: number;
  count: number;
  spread: number;
}

/**
 * Before list request `at` is answered (or the `at`-th offset page, pageIndex > 1, when `on` says
 * so: offset passes are where a moving row does harm): a row changes (moves to now), is deleted,
 * one is inserted, or the clock moves.
 */
export interface Change {
  at: number;
  on?: 'request' | 'offsetPage';
  op: 'update' | 'delete' | 'insert' | 'tick';
  pick: number;
}

export interface Scenario {
  groups: Group[];
  changes: Change[];
  /** Writes after which each run dies, before the run that completes. */
  kills: number[];
  pageSize: number;
  readers: number;
  lookback: number;
  /** Seconds after T0 of the state the chain starts from; undefined: no state. */
  stateAt?: number;
  /** Full refresh: no state in or out, a killed run starts over. Default incremental. */
  fullRefresh?: boolean;
  /** Seconds after T0 of the config's start_date; undefined: none. */
  startAt?: number;
  /** How the stream's list orders ties (default: a new order per request, as the contract allows). */
  ties?: TieOrder;
}

export type StreamKind = 'media' | 'categories' | 'users' | 'categoryEntries';

export interface Partner {
  kaltura: FakeKaltura;
  table: FakeTable;
  def: StreamDefinition;
}

const entryStatuses = [-2, -1, 0, 1, 2, 3, 4, 5, 6, 7];

function rowOf(kind: StreamKind, n: number, cursor: number, createdAt: number, parents: number): Row {
  switch (kind) {
    case 'media':
      // Every status, moderation and visibility: entries Kaltura hides unless they are asked for.
      return { id: `0_${n.toString(36).padStart(8, '0')}`, partnerId: 1, name: `entry ${n}`, type: 1, status: entryStatuses[n % 10]!, moderationStatus: 1 + (n % 6), displayInSearch: (n % 5) - 2, createdAt, updatedAt: cursor };
    case 'categories':
      return { id: n + 1, partnerId: 1, name: `category ${n}`, depth: 0, createdAt, updatedAt: cursor };
    case 'users':
      return { id: `user${n}`, partnerId: 1, screenName: `user ${n}`, status: 1, createdAt, updatedAt: cursor };
    case 'categoryEntries':
      return { categoryId: 1 + (n % parents), entryId: `0_${n.toString(36).padStart(8, '0')}`, status: 2, createdAt: cursor };
  }
}

const definitions: Record<StreamKind, StreamDefinition> = { media, categories, users, categoryEntries };

/**
 * The partner a scenario describes, its changes wired to the requests. Category links read their
 * categories in batches of 3 (not 500) so that a small table already spans several batches.
 */
export function buildPartner(kind: StreamKind, scenario: Scenario, seed = 1): Partner {
  // The read starts 40 seconds after the newest row.
  const clock = new FakeClock(T0 + 40 + Math.max(0, ...scenario.groups.map((g) => g.second)));
  const kaltura = new FakeKaltura(clock);
  const parents = 7;
  let n = 0;
  const rows: Row[] = [];
  for (const group of scenario.groups) {
    for (let i = 0; i < group.count; i++) {
      const cursor = T0 + group.second;
      rows.push(rowOf(kind, n++, cursor, cursor - (i % (group.spread + 1)), parents));
    }
  }
  let def = definitions[kind];
  const table = kaltura.add(new FakeTable(shapes[kind], clock, seed, rows, scenario.ties));
  if (kind === 'categoryEntries') {
    const cats = Array.from({ length: parents }, (_, i) => rowOf('categories', i, T0 + (i % 3), T0 - 100, parents));
    kaltura.add(new FakeTable(shapes.categories, clock, seed + 1, cats));
    def = { ...def, parents: { ...def.parents!, batchSize: 3 } };
  }
  const pick = prng(seed + 2);
  let offsetPages = 0;
  kaltura.beforeList = (request, call) => {
    if (Number(call.pager.pageIndex ?? 1) > 1) offsetPages += 1;
    for (const change of scenario.changes) {
      if (change.at !== (change.on === 'offsetPage' ? (Number(call.pager.pageIndex ?? 1) > 1 ? offsetPages : -1) : request)) continue;
      const keys = table.keys();
      const key = keys.length > 0 ? keys[change.pick % keys.length]! : undefined;
      if (change.op === 'tick') clock.advance(1 + (change.pick % 3));
      else if (change.op === 'insert') table.insert(rowOf(kind, n++, clock.now, clock.now, parents));
      else if (key === undefined) continue;
      else if (change.op === 'delete') table.remove(key);
      // A link has no updatedAt: a change of one that Kaltura would show is its removal and re-adding.
      else if (kind === 'categoryEntries') {
        const row = table.get(key)!;
        table.remove(key);
        table.insert({ ...row, createdAt: clock.now });
      } else table.touch(key, { name: `edited ${Math.floor(pick() * 1000)}` });
    }
  };
  return { kaltura, table, def };
}
