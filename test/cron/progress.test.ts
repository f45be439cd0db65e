import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProgressBoard } from '../../connector/cron/progress.js';

function capture(isTTY: boolean) {
  const chunks: string[] = [];
  return { out: { isTTY, columns: 120, write: (s: string) => chunks.push(s) }, text: () => chunks.join(''), chunks };
}

test('on a terminal: one live line per stream with records, pages, rate and how far through totalCount', () => {
  let now = 1_000_000;
  const term = capture(true);
  const board = new ProgressBoard(term.out, { intervalMs: 10_000, now: () => now });
  board.start('media');
  board.start('categories');
  board.estimate('media', 2_000);
  board.page('media', 500);
  now += 2_000;
  board.page('media', 500);
  const line = board.line('media');
  assert.match(line, /^media\s+reading\s+1,000 records/);
  assert.match(line, /50% of ~2,000 \[#{10}\.{10}\]/);
  assert.match(line, /2 pages/);
  assert.match(line, /500 rec\/s/);
  assert.match(line, /0:02$/);

  board.log('WARN', 'something to say');
  const drawn = term.text();
  assert.match(drawn, /WARN something to say\n/);
  assert.ok(drawn.indexOf('something to say') < drawn.lastIndexOf('media '), 'the block is drawn again below the log line');

  board.finish('categories', 'done', 300);
  board.finish('media', 'failed');
  board.stop();
  const last = term.chunks.at(-1)!;
  assert.match(last, /^\x1b\[2F\x1b\[J/, 'moves back over the two stream lines and redraws them');
  assert.match(last, /categories\s+done\s+300 records/);
  assert.match(last, /media\s+FAILED/);
});

test('not on a terminal: plain timestamped lines, only for streams that moved, no escape codes', () => {
  const log = capture(false);
  const board = new ProgressBoard(log.out, { intervalMs: 0 });
  board.start('media');
  board.estimate('media', 1_000);
  board.page('media', 250);
  board.page('media', 0);
  board.page('media', 250);
  board.log('INFO', 'a log line');
  board.stop();
  const lines = log.text().trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO media: 250 records of about 1,000 \(25%\), 1 pages, [\d,]+ records\/s$/);
  assert.match(lines[1]!, /INFO media: 500 records of about 1,000 \(50%\), 3 pages/);
  assert.match(lines[2]!, /INFO a log line$/);
  assert.doesNotMatch(log.text(), /\x1b/);
});

test('a terminal that reports its width as 0 (or none) gets 100 columns, not 20; a real width cuts the line', () => {
  const drawn = (columns: number | undefined) => {
    const chunks: string[] = [];
    const board = new ProgressBoard({ isTTY: true, columns, write: (s: string) => chunks.push(s) }, { intervalMs: 10_000, now: () => 1_000_000 });
    board.start('media');
    board.estimate('media', 2_000);
    board.page('media', 500);
    board.stop();
    // The last draw is an erase sequence (or nothing) followed by the block.
    return chunks.at(-1)!.replace(/^\x1b\[\d+F\x1b\[J/, '').trimEnd();
  };
  const full = new ProgressBoard({ isTTY: true, write: () => undefined }, { intervalMs: 10_000, now: () => 1_000_000 });
  full.start('media');
  full.estimate('media', 2_000);
  full.page('media', 500);
  full.stop();
  const whole = full.line('media');
  assert.ok(whole.length > 40 && whole.length < 99, `the whole line fits 100 columns: ${whole}`);
  for (const columns of [0, undefined]) {
    const line = drawn(columns);
    assert.equal(line, whole, `columns ${columns}: the whole line is drawn`);
    assert.match(line, /25% of ~2,000/);
    assert.match(line, /1 pages/);
  }
  assert.equal(drawn(30), whole.slice(0, 29), 'a 30-column terminal gets 29 characters');
});

test('after the summary, the run says nothing more: late log lines and progress are dropped', () => {
  for (const isTTY of [false, true]) {
    const out = capture(isTTY);
    const board = new ProgressBoard(out.out, { intervalMs: 0, now: () => Date.parse('2026-11-22T07:16:02.480Z') });
    board.start('media');
    board.page('media', 10);
    board.log('ERROR', 'media: failed');
    board.finish('media', 'failed');
    board.close('ERROR', 'Read failed for media after 1.0s');
    const before = out.text();
    board.log('WARN', 'media: retrying a request of another window');
    board.page('media', 5);
    board.stop();
    assert.equal(out.text(), before, `isTTY ${isTTY}: nothing after the summary`);
    assert.equal(out.chunks.at(-1), '2026-11-22T07:16:02.480Z ERROR Read failed for media after 1.0s\n', `isTTY ${isTTY}: the summary is the last line`);
    assert.match(before, /ERROR media: failed/, 'lines before it are printed');
  }
});
