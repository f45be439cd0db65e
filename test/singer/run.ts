import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseLines, repoRoot } from '../helpers/cli.js';

export interface RawRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The commands a user types: `node connector ...` or the `tap-kaltura` bin. */
export const commands = {
  connector: [process.execPath, join(repoRoot, 'connector')],
  tap: [join(repoRoot, 'connector', 'tap.js')],
} as const;

/**
 * Runs a command and collects stdout as text (Singer discovery and --about print JSON documents,
 * the cron read prints nothing there). `killWhen` sees stderr as it grows and may kill the
 * process: with SIGKILL by default, as an OOM killer or a rebooting host would, or with
 * `killSignal` (SIGTERM: as `kill` or a stopping service manager would).
 */
export function run(command: keyof typeof commands, args: string[], options: { timeoutMs?: number; cwd?: string; env?: NodeJS.ProcessEnv; killWhen?: (stderr: string) => boolean; killSignal?: NodeJS.Signals } = {}): Promise<RawRun & { killed: boolean }> {
  const [file, ...pre] = commands[command];
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...pre, ...args], { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let stderr = '';
    let killed = false;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
      if (!killed && options.killWhen?.(stderr)) {
        killed = true;
        child.kill(options.killSignal ?? 'SIGKILL');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr, killed });
    });
  });
}

/** stdout as JSON lines (Singer messages), parsed as the Airbyte tests parse theirs. */
export const jsonLines = parseLines;
