import { readFile } from 'node:fs/promises';
import { ConnectorError } from '../kaltura/errors.js';

/** Reads a JSON file the user handed us; a missing or malformed file is their config error, said plainly. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? 'error'})`;
    throw new ConnectorError('config_error', `The ${what} file ${path} ${why}.`);
  }
  // Windows editors may save UTF-8 with a byte-order mark, which JSON.parse refuses.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8's message quotes the text around the mistake, and a config file holds the app token:
    // only the kind of mistake and its line and column are reported, never the file's content.
    const { problem, line, column } = describeJsonError(text, (err as Error).message);
    throw new ConnectorError('config_error', `The ${what} file ${path} is not valid JSON: ${problem} at line ${line}, column ${column}. Fix the file and run again.`);
  }
}

/** What is wrong with a text JSON.parse refused, and where, without quoting any of it. */
export function describeJsonError(text: string, v8Message: string): { problem: string; line: number; column: number; offset: number } {
  const position = /at position (\d+)/.exec(v8Message);
  const offset = position ? Number(position[1]) : firstJsonErrorOffset(text);
  let problem: string;
  if (text.trim() === '') problem = 'the file is empty';
  else if (/^Unterminated string/.test(v8Message)) problem = 'a string is not closed';
  else if (/^Unexpected end of JSON input/.test(v8Message) || offset >= text.length) problem = 'the text ends before the JSON does';
  else if (/^Bad control character/.test(v8Message)) problem = 'a string holds a line break or control character (write it as \\n)';
  else if (/^Bad escaped character|^Bad Unicode escape/.test(v8Message)) problem = 'a string holds an invalid escape (a lone backslash?)';
  else if (/^Expected double-quoted property name/.test(v8Message)) problem = 'a property name is not in double quotes (or a comma is left before a closing brace)';
  else if (/^Expected ':'/.test(v8Message)) problem = 'a colon is missing after a property name';
  else if (/^Expected ','/.test(v8Message)) problem = 'a comma or closing bracket is missing';
  else if (/^Unexpected non-whitespace character after JSON/.test(v8Message)) problem = 'there is more text after the JSON value';
  else problem = 'an unexpected character (a value that is not quoted, or a stray character)';
  const before = text.slice(0, Math.min(offset, text.length));
  const lines = before.split('\n');
  return { problem, line: lines.length, column: (lines.at(-1)?.length ?? 0) + 1, offset };
}

/**
 * The offset of the first character that cannot continue a JSON text (text.length when the text
 * ends too early). Called only after JSON.parse has refused the text, for the position V8 does not
 * give ("Unexpected token ..." messages quote the text instead); JSON.parse stays the parser.
 */
export function firstJsonErrorOffset(text: string): number {
  let i = 0;
  const n = text.length;
  const fail = (at: number): never => {
    throw at;
  };
  const ws = () => {
    while (i < n && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (i >= n) fail(n);
      if (text[i] !== ch) fail(i);
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    while (true) {
      if (i >= n) fail(n);
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c < ' ') fail(i);
      if (c === '\\') {
        i++;
        if (i >= n) fail(n);
        const e = text[i]!;
        if (e === 'u') {
          for (let k = 1; k <= 4; k++) {
            if (i + k >= n) fail(n);
            if (!/[0-9a-fA-F]/.test(text[i + k]!)) fail(i + k);
          }
          i += 5;
        } else if ('"\\/bfnrt'.includes(e)) i++;
        else fail(i);
      } else i++;
    }
  };
  const digits = () => {
    const start = i;
    while (i < n && text[i]! >= '0' && text[i]! <= '9') i++;
    if (i === start) fail(i);
  };
  const number = () => {
    if (text[i] === '-') i++;
    if (i >= n) fail(n);
    if (text[i] === '0') i++;
    else digits();
    if (text[i] === '.') {
      i++;
      digits();
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      digits();
    }
  };
  const value = (): void => {
    ws();
    if (i >= n) fail(n);
    const c = text[i]!;
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      while (true) {
        ws();
        if (i >= n) fail(n);
        if (text[i] !== '"') fail(i);
        string();
        ws();
        if (i >= n) fail(n);
        if (text[i] !== ':') fail(i);
        i++;
        value();
        ws();
        if (i >= n) fail(n);
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return;
        }
        fail(i);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      while (true) {
        value();
        ws();
        if (i >= n) fail(n);
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return;
        }
        fail(i);
      }
    }
    if (c === '"') return string();
    if (c === 't') return literal('true');
    if (c === 'f') return literal('false');
    if (c === 'n') return literal('null');
    if (c === '-' || (c >= '0' && c <= '9')) return number();
    fail(i);
  };
  try {
    value();
    ws();
    return i < n ? i : n;
  } catch (at) {
    if (typeof at === 'number') return at;
    throw at;
  }
}
