import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeState, readState, type Coverage } from '../../connector/engine/state.js';
import { Checkpoints } from '../../connector/engine/checkpoints.js';
import { RangeSet } from '../../connector/engine/ranges.js';
import { media } from '../../connector/streams/media.js';
import { ConnectorError } from '../../connector/util/errors.js';

// The state keeps every range a read finished, not only what lies below its slowest window.

const t = (iso: string) => Date.parse(iso) / 1000;
const coverage = (mark: number | undefined, slices: Array<[number, number]> = []): Coverage => ({ mark, slices: new RangeSet(slices.map(([from, to]) => ({ from, to }))) });

test('ranges merge as they touch, and the gaps between them are what is left to read', () => {
  const set = new RangeSet();
  set.add(10, 20);
  set.add(30, 40);
  set.add(20, 25);
  assert.deepEqual(set.list(), [{ from: 10, to: 25 }, { from: 30, to: 40 }]);
  assert.deepEqual(set.gaps(0, 50), [{ from: 0, to: 10 }, { from: 25, to: 30 }, { from: 40, to: 50 }]);
  set.add(24, 31);
  assert.deepEqual(set.list(), [{ from: 10, to: 40 }]);
  assert.equal(set.lowEnd(), undefined);
  set.add(Number.NEGATIVE_INFINITY, 10);
  assert.equal(set.lowEnd(), 40);
});

test('a state of version 1 (one cursor) is read as a mark, and written back as version 2', () => {
  const old = { updatedAt: '2024-05-01T12:00:00Z', state_version: 1 };
  const read = readState(media, old)!;
  assert.equal(read.mark, t('2024-05-01T12:00:00Z'));
  assert.deepEqual(read.slices.list(), []);
  assert.deepEqual(makeState(media, read), { updatedAt: '2024-05-01T12:00:00Z', state_version: 2 });
});

test('a state of version 2 with slices reads back as it was written', () => {
  const state = { updatedAt: '2024-05-01T12:00:00Z', state_version: 2, slices: [{ start: '2024-06-01T00:00:00Z', end: '2024-06-03T08:00:00Z' }] };
  const read = readState(media, state)!;
  assert.deepEqual(makeState(media, read), state);
  // A read killed before its lowest window moved has slices only.
  const slicesOnly = { state_version: 2, slices: state.slices };
  assert.deepEqual(makeState(media, readState(media, slicesOnly)!), slicesOnly);
});

test('states that cannot be trusted are refused with the fix', () => {
  const bad: unknown[] = [
    { updatedAt: '2024-05-01T12:00:00Z', state_version: 3 },
    { state_version: 2 },
    { updatedAt: '2024-05-01T12:00:00Z', state_version: 2, slices: 'soon' },
    { updatedAt: '2024-05-01T12:00:00Z', state_version: 2, slices: [{ start: '2024-06-03T00:00:00Z', end: '2024-06-01T00:00:00Z' }] },
    { updatedAt: '2024-05-01T12:00:00Z', state_version: 2, slices: [{ start: 'yesterday', end: '2024-06-01T00:00:00Z' }] },
  ];
  for (const blob of bad) {
    assert.throws(
      () => readState(media, blob),
      (err: unknown) => err instanceof ConnectorError && err.failureType === 'config_error' && /Reset the media stream/.test(err.message),
      JSON.stringify(blob),
    );
  }
});

test('a read resumes by skipping every finished slice, and reads the lookback below the mark again', () => {
  const saved = coverage(1000, [
    [2000, 3000],
    [4000, 5000],
  ]);
  const done = new Checkpoints(saved, { from: 1000 - 300, to: 9999 }, 300);
  assert.deepEqual(done.plan(), [
    { from: 700, to: 1999 },
    { from: 3000, to: 3999 },
    { from: 5000, to: 9999 },
  ]);
  // Nothing finished yet: the state is the saved one, never less.
  assert.deepEqual(done.coverage().mark, 1000);
  assert.deepEqual(done.coverage().slices.list(), saved.slices.list());
});

test('windows finished out of order are all kept; the mark moves only once the range below it is read', () => {
  const done = new Checkpoints(coverage(1000), { from: 700, to: 9999 }, 300);
  done.add(5000, 6000);
  done.add(2000, 2500);
  assert.equal(done.coverage().mark, 1000, 'the lookback below the mark is not read yet');
  assert.deepEqual(done.coverage().slices.list(), [
    { from: 2000, to: 2500 },
    { from: 5000, to: 6000 },
  ]);
  done.add(700, 2000);
  assert.equal(done.coverage().mark, 2500, 'read from the read\'s start up: the mark takes the slice it reaches');
  assert.deepEqual(done.coverage().slices.list(), [{ from: 5000, to: 6000 }]);
  done.complete();
  assert.deepEqual(makeState(media, done.coverage()), { updatedAt: new Date(10000 * 1000).toISOString().replace('.000Z', 'Z'), state_version: 2 });
});

test('a slice finished within the lookback of the read\'s end is not kept apart from the mark', () => {
  const done = new Checkpoints(undefined, { to: 9999 }, 300);
  done.add(9000, 9800);
  assert.deepEqual(done.coverage().slices.list(), [{ from: 9000, to: 9700 }], 'rows Kaltura shows late may still come below the end');
  assert.equal(done.coverage().mark, undefined);
});

test('without Kaltura\'s clock, nothing past the newest cursor value read is claimed', () => {
  const done = new Checkpoints(coverage(1000), { from: 1000, to: 9999 }, 0);
  done.claimLimit = 4000;
  done.complete();
  assert.equal(done.coverage().mark, 4000);
  done.claimLimit = Number.NEGATIVE_INFINITY;
  assert.equal(done.coverage().mark, 1000, 'and never less than the saved state');
});
