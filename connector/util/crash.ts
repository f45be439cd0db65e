import { secrets } from './redact.js';

/**
 * The line the bins print when the program fails in a way nothing else reported. The error may
 * quote anything (a URL with its user info, a token, a KS), so it goes through the same redaction
 * as every other printed line.
 */
export function crashLine(program: string, err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return `${program}: unexpected failure: ${secrets.redact(text)}\n`;
}
