/**
 * The text of an answer read with session `ks`, with that session replaced: Kaltura can embed the
 * very session in URLs it returns, and neither records nor logs may carry a secret. Used wherever
 * an answer is decoded (the transport, and the page decoders off the main thread).
 */
export function answerText(body: Uint8Array, ks: string | undefined): string {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  return ks !== undefined && text.includes(ks) ? text.replaceAll(ks, '***') : text;
}
