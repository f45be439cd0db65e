/**
 * The text of an answer read with session `ks`, with that session replaced: Kaltura can embed the
 * very session in URLs it returns, and neither records nor logs may carry a secret. Used wherever
 * an answer is decoded (the transport's parse, and PageDecoder).
 */
export function answerText(body: Buffer, ks: string | undefined): string {
  const text = body.toString('utf8');
  return ks !== undefined && text.includes(ks) ? text.replaceAll(ks, '***') : text;
}
