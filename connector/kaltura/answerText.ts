import { secrets } from '../util/redact.js';

/**
 * The text of an answer read with session `ks`, with that session replaced: Kaltura can embed the
 * very session in URLs it returns, and neither records nor logs may carry a secret. Used wherever
 * an answer is decoded (the transport's parse, and PageDecoder).
 */
export function answerText(body: Buffer, ks: string | undefined): string {
  const text = body.toString('utf8');
  return ks !== undefined && text.includes(ks) ? text.replaceAll(ks, '***') : text;
}

const excerptLength = 80;

/** Whether (trimmed) text is an HTML page: a portal, a proxy's error or login page. */
export function isHtml(trimmed: string): boolean {
  return /^(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i.test(trimmed);
}

/**
 * The start of an answer that is not Kaltura's, as a person would recognise it: an HTML page's
 * title (or its first words), or the first characters of anything else, on one line, with every
 * known secret and URL credential removed, for a message that says what service_url answered.
 */
export function answerExcerpt(text: string): string {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text)?.[1];
  const html = isHtml(text.trimStart());
  const visible = title ?? (html ? text.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ') : text);
  // Redacted before it is cut, so that no part of a secret survives at the cut.
  const line = secrets.redact(visible.replace(/\s+/g, ' ').trim());
  return line.length > excerptLength ? `${line.slice(0, excerptLength)}…` : line;
}
