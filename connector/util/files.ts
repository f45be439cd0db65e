import { readFile } from 'node:fs/promises';
import { parseTree, ParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { ConnectorError } from './errors.js';

/** Reads a JSON file the user handed us; a missing or malformed file is their config error, said plainly. */
export async function readJsonFile(path: string, what: string): Promise<unknown> {
  return parseJsonText(await readTextFile(path, what), path, what);
}

/** Reads a text file the user handed us (the `what` file); a file that cannot be read is their config error. */
export async function readTextFile(path: string, what: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? 'error'})`;
    throw new ConnectorError('config_error', `The ${what} file ${path} ${why}.`);
  }
  // Windows editors may save UTF-8 with a byte-order mark, which JSON.parse refuses.
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Parses the text of the `what` file at `path`; text that is not JSON is refused, ending with `fix`. */
export function parseJsonText(text: string, path: string, what: string, fix = 'Fix the file and run again.'): unknown {
  checkDepth(text, path, what);
  try {
    return JSON.parse(text);
  } catch {
    // V8's message quotes the text around the mistake, and a config file holds the app token:
    // only the kind of mistake and its line and column are reported, never the file's content.
    const { problem, line, column } = describeJsonError(text);
    throw new ConnectorError('config_error', `The ${what} file ${path} is not valid JSON: ${problem} at line ${line}, column ${column}. ${fix}`);
  }
}

/** How deep a config, catalog or state may nest; theirs nest a dozen levels at most. */
export const maxJsonDepth = 1000;

/**
 * Refuses text nesting arrays and objects deeper than `maxJsonDepth`, before any recursive parser
 * (JSON.parse, jsonc-parser, ajv) sees it: 200,000 levels exhaust their stack.
 */
export function checkDepth(text: string, path: string, what: string): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      depth++;
      if (depth > maxJsonDepth) {
        const line = text.slice(0, i).split('\n').length;
        throw new ConnectorError('config_error', `The ${what} file ${path} nests arrays or objects more than ${maxJsonDepth} levels deep (at line ${line}); no ${what} file of this connector does. Check that it is the right file.`);
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
}

/** What is wrong with a text JSON.parse refused, and where, without quoting any of it. */
export function describeJsonError(text: string): { problem: string; line: number; column: number } {
  // V8's messages give no position for most mistakes and quote the text instead; jsonc-parser
  // (in strict mode: no comments, no trailing commas) gives the kind and offset of each.
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const first = errors[0];
  const offset = first?.offset ?? 0;
  const before = text.slice(0, offset).split('\n');
  const where = { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
  return { problem: problemOf(text, first?.error, offset, root), ...where };
}

function problemOf(text: string, error: ParseErrorCode | undefined, offset: number, root: Node | undefined): string {
  if (text.trim() === '') return 'the file is empty';
  if (offset >= text.trimEnd().length) return 'the text ends before the JSON does';
  if (root && offset >= root.offset + root.length) return 'there is more text after the JSON value';
  switch (error) {
    case ParseErrorCode.UnexpectedEndOfString:
      return 'a string is not closed (or holds a line break: write it as \\n)';
    case ParseErrorCode.InvalidCharacter:
      return 'a string holds a control character (write a line break as \\n)';
    case ParseErrorCode.InvalidEscapeCharacter:
    case ParseErrorCode.InvalidUnicode:
      return 'a string holds an invalid escape (a lone backslash?)';
    case ParseErrorCode.PropertyNameExpected:
      return 'a property name is not in double quotes (or a comma is left before a closing brace)';
    case ParseErrorCode.ColonExpected:
      return 'a colon is missing after a property name';
    case ParseErrorCode.CommaExpected:
    case ParseErrorCode.CloseBraceExpected:
    case ParseErrorCode.CloseBracketExpected:
      return 'a comma or closing bracket is missing';
    case ParseErrorCode.InvalidNumberFormat:
    case ParseErrorCode.UnexpectedEndOfNumber:
      return 'a number is malformed';
    case ParseErrorCode.InvalidCommentToken:
    case ParseErrorCode.UnexpectedEndOfComment:
      return 'JSON has no comments';
    default:
      return 'an unexpected character (a value that is not quoted, or a stray character)';
  }
}
