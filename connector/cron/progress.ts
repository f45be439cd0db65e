import type { LogLevel } from '../util/logger.js';

/** Where progress goes: stderr, or a stand-in in tests. */
export interface ProgressOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

interface StreamProgress {
  name: string;
  records: number;
  pages: number;
  total?: number;
  startedAt: number;
  endedAt?: number;
  outcome?: 'done' | 'failed';
  /** Records at the last plain progress line, so a stream that did not move is not repeated. */
  reported: number;
}

const number = (n: number) => n.toLocaleString('en-US');

/**
 * Progress of a cron read on stderr. On a terminal, a live block with one line per stream
 * (records, pages, rate, how far through Kaltura's totalCount) redrawn in place, with log lines
 * printed above it. Elsewhere (cron mail, a log file), plain timestamped lines every
 * `intervalMs` for each stream that moved.
 */
export class ProgressBoard {
  private readonly streams = new Map<string, StreamProgress>();
  private readonly live: boolean;
  private drawnLines = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private closed = false;

  constructor(
    private readonly out: ProgressOutput,
    private readonly options: { live?: boolean; intervalMs: number; now?: () => number },
  ) {
    this.live = options.live ?? out.isTTY === true;
    const every = this.live ? 100 : options.intervalMs;
    if (every > 0) {
      this.timer = setInterval(() => this.tick(), every);
      this.timer.unref();
    }
  }

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** A log line (already free of secrets), kept above the live block. Dropped after `close`. */
  log(level: LogLevel, message: string): void {
    if (this.closed) return;
    const text = `${new Date(this.now()).toISOString()} ${level} ${message}\n`;
    if (!this.live) {
      this.out.write(text);
      return;
    }
    this.out.write(this.erase() + text + this.render());
  }

  start(stream: string): void {
    this.streams.set(stream, { name: stream, records: 0, pages: 0, startedAt: this.now(), reported: 0 });
    this.changed();
  }

  estimate(stream: string, total: number): void {
    const s = this.streams.get(stream);
    if (!s) return;
    s.total = total;
    this.changed();
  }

  page(stream: string, records: number): void {
    const s = this.streams.get(stream);
    if (!s) return;
    s.records += records;
    s.pages += 1;
    this.changed();
    if (!this.live && this.options.intervalMs <= 0) this.tick();
  }

  finish(stream: string, outcome: 'done' | 'failed', records?: number): void {
    const s = this.streams.get(stream);
    if (!s) return;
    s.outcome = outcome;
    s.endedAt = this.now();
    if (records !== undefined) s.records = records;
    this.changed();
  }

  /** Draws the final state once more (terminal) and stops the timer. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.live && !this.closed) {
      this.out.write(this.erase() + this.render());
      // The block stays on screen as the last word on each stream; what follows goes below it.
      this.drawnLines = 0;
    }
  }

  /**
   * Stops, then prints the run's last line (the summary). Anything logged afterwards is dropped:
   * it can only come from requests a failed stream left behind, whose outcome is already told.
   */
  close(level: LogLevel, line: string): void {
    this.stop();
    if (this.closed) return;
    this.closed = true;
    this.out.write(`${new Date(this.now()).toISOString()} ${level} ${line}\n`);
  }

  /** One line per stream, as the terminal block shows it. */
  line(stream: string): string {
    const s = this.streams.get(stream);
    if (!s) return '';
    const seconds = Math.max(0, ((s.endedAt ?? this.now()) - s.startedAt) / 1000);
    const rate = seconds > 0 ? Math.round(s.records / seconds) : 0;
    // Most important first: a narrow terminal cuts the end of the line.
    const status = s.outcome === 'done' ? 'done' : s.outcome === 'failed' ? 'FAILED' : 'reading';
    const parts = [s.name.padEnd(this.nameWidth()), status.padEnd(7), `${number(s.records).padStart(11)} records`];
    if (s.total !== undefined) {
      const pct = s.total > 0 ? Math.min(100, Math.floor((s.records * 100) / s.total)) : 100;
      parts.push(`${String(pct).padStart(3)}% of ~${number(s.total)} ${bar(pct)}`);
    }
    parts.push(`${number(s.pages)} pages`, `${number(rate)} rec/s`, clock(seconds));
    return parts.join('  ');
  }

  /** The plain (non-terminal) progress line of a stream. */
  plainLine(stream: string): string {
    const s = this.streams.get(stream);
    if (!s) return '';
    const seconds = Math.max(0, (this.now() - s.startedAt) / 1000);
    const rate = seconds > 0 ? Math.round(s.records / seconds) : 0;
    const of = s.total !== undefined ? ` of about ${number(s.total)} (${s.total > 0 ? Math.min(100, Math.floor((s.records * 100) / s.total)) : 100}%)` : '';
    return `${s.name}: ${number(s.records)} records${of}, ${number(s.pages)} pages, ${number(rate)} records/s`;
  }

  private nameWidth(): number {
    return Math.max(...[...this.streams.keys()].map((n) => n.length), 4);
  }

  private changed(): void {
    this.dirty = true;
  }

  private tick(): void {
    if (this.closed) return;
    if (this.live) {
      if (!this.dirty) return;
      this.dirty = false;
      this.out.write(this.erase() + this.render());
      return;
    }
    for (const s of this.streams.values()) {
      if (s.outcome || s.records === s.reported) continue;
      s.reported = s.records;
      this.out.write(`${new Date(this.now()).toISOString()} INFO ${this.plainLine(s.name)}\n`);
    }
  }

  private render(): string {
    // A terminal that reports no width (0, as some do under a pseudo-terminal) is taken as 100 wide.
    const width = Math.max(20, (this.out.columns || 100) - 1);
    const lines = [...this.streams.keys()].map((name) => this.line(name).slice(0, width));
    this.drawnLines = lines.length;
    return lines.map((l) => `${l}\n`).join('');
  }

  /** Moves back over the block drawn last and clears it. */
  private erase(): string {
    if (this.drawnLines === 0) return '';
    const n = this.drawnLines;
    this.drawnLines = 0;
    return `\x1b[${n}F\x1b[J`;
  }
}

function bar(pct: number): string {
  const filled = Math.floor(pct / 5);
  return `[${'#'.repeat(filled)}${'.'.repeat(20 - filled)}]`;
}

function clock(seconds: number): string {
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
