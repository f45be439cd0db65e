/**
 * Every secret the process learns (the token, each token hash, each KS) is registered here, and
 * every log line and message text that may quote Kaltura passes through `redact`, so that a secret
 * quoted back by the API (INVALID_KS echoes the KS it could not parse) never reaches a log or a
 * file. Records do not (they are the hot path): the one secret Kaltura's data can hold, the session
 * it was read with, is scrubbed from each answer as it arrives (`answerText`, kaltura/answerText.ts).
 */
export class SecretRegistry {
  private readonly secrets: string[] = [];
  private readonly known = new Set<string>();
  private pattern: RegExp | undefined;

  add(secret: string | undefined): void {
    // Very short values would redact ordinary words; real secrets are long.
    if (!secret || secret.length < 8 || this.known.has(secret)) return;
    this.known.add(secret);
    this.secrets.push(secret);
    this.pattern = undefined;
  }

  redact(text: string): string {
    const scrubbed = withoutUrlCredentials(text);
    if (this.secrets.length === 0) return scrubbed;
    this.pattern ??= new RegExp([...this.secrets].sort((a, b) => b.length - a.length).map(escape).join('|'), 'g');
    return scrubbed.replace(this.pattern, '***');
  }
}

/** `scheme://user:password@` in a URL; the user info stops at the characters a URL's host part cannot hold before it. */
const urlCredentials = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"'<>\\]+@/gi;

/**
 * `text` with the user info of every URL in it replaced (`https://***@host`): a URL may carry a
 * user name and password (config values, proxies' redirects), and none may be printed.
 */
export function withoutUrlCredentials(text: string): string {
  return text.includes('@') ? text.replace(urlCredentials, '$1***@') : text;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The process-wide registry: secrets must be hidden from every output, whoever prints it. */
export const secrets = new SecretRegistry();
