import { createServer, request, type Server } from 'node:http';

/**
 * A loopback proxy in front of the emulator that learns every secret that crosses the wire
 * (each KS issued or sent, each token hash), so a test can search the connector's output for
 * them. It can also damage the KS of some requests, making Kaltura quote it back in an error.
 */
export class RecordingProxy {
  readonly secrets = new Set<string>();
  /** Append junk to the KS of every Nth list request (0: never). */
  mangleEvery = 0;
  /** Put the request's own KS into every downloadUrl of list answers, as Kaltura can. */
  embedSessionInUrls = false;
  private listCalls = 0;
  private server: Server | undefined;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<this> {
    const target = new URL(this.target);
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        let body = Buffer.concat(chunks).toString('utf8');
        let requestKs = '';
        try {
          const params = JSON.parse(body) as Record<string, unknown>;
          for (const key of ['ks', 'tokenHash']) if (typeof params[key] === 'string') this.secrets.add(params[key] as string);
          if (typeof params.ks === 'string') requestKs = params.ks;
          if (this.mangleEvery > 0 && /\/action\/list$/.test(req.url ?? '') && ++this.listCalls % this.mangleEvery === 0) {
            params.ks = `${String(params.ks)}!!`;
            body = JSON.stringify(params);
          }
        } catch {
          // not JSON: forwarded as it is
        }
        const upstream = request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...req.headers, 'content-length': Buffer.byteLength(body) } }, (answer) => {
          const parts: Buffer[] = [];
          answer.on('data', (c: Buffer) => parts.push(c));
          answer.on('end', () => {
            let text = Buffer.concat(parts).toString('utf8');
            if (this.embedSessionInUrls && requestKs && /\/action\/list$/.test(req.url ?? '')) {
              text = text.replace(/"downloadUrl":"([^"]*)"/g, `"downloadUrl":"$1\\/ks\\/${requestKs}"`);
            }
            const found = text.match(/"ks":"([^"]+)"/);
            if (found?.[1]) this.secrets.add(found[1]);
            const { 'content-length': _length, ...headers } = answer.headers;
            res.writeHead(answer.statusCode ?? 502, headers);
            res.end(text);
          });
        });
        upstream.on('error', () => res.destroy());
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }
}
