import { runConnector, recordsOf, lastStates } from './cli.js';
import type { Fixture } from './setup.js';

export interface ResumeMeasure {
  /** Media records printed over all runs. */
  delivered: number;
  /** Distinct media entries among them. */
  distinct: number;
  /** Media entries of the account that no run printed. */
  missing: string[];
  /** Records printed by each run, the last one complete. */
  perRun: number[];
  /** The last complete run's exit code. */
  finalCode: number | null;
}

/**
 * An incremental media read killed with SIGKILL after `killAfterLines` stdout lines, `kills`
 * times, each run resuming from the states the previous one printed, then run to its end: what a
 * platform retrying failed attempts gets. Killing by printed lines keeps the measure independent
 * of the machine's speed.
 */
export async function measureKilledReads(fx: Fixture, options: { killAfterLines: number; kills: number; config?: Record<string, unknown> }): Promise<ResumeMeasure> {
  const config = fx.config('admin', options.config ?? {});
  const catalog = fx.catalog([['media', 'incremental']]);
  let state: unknown[] | undefined;
  let delivered = 0;
  const seen = new Set<string>();
  const perRun: number[] = [];
  let finalCode: number | null = null;
  for (let run = 0; run <= options.kills; run++) {
    const args = ['read', '--config', config, '--catalog', catalog];
    if (state) args.push('--state', fx.write(`resume-${run}.json`, state));
    const last = run === options.kills;
    const result = await runConnector(args, last ? { timeoutMs: 600_000 } : { killWhen: (_m, index) => index + 1 >= options.killAfterLines, timeoutMs: 600_000 });
    if (last) finalCode = result.code;
    else if (result.signal !== 'SIGKILL') throw new Error(`run ${run + 1} ended (code ${result.code}) before ${options.killAfterLines} lines: ${result.stderr.slice(-500)}`);
    const records = recordsOf(result.messages, 'media');
    perRun.push(records.length);
    delivered += records.length;
    for (const r of records) seen.add(String(r.id));
    const states = lastStates(result.messages);
    if (states.length > 0) state = states;
  }
  const missing = fx.emulator.control
    .truth('media')
    .map((t) => String(t.id))
    .filter((id) => !seen.has(id));
  return { delivered, distinct: seen.size, missing, perRun, finalCode };
}
