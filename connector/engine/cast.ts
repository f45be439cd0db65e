/**
 * Values of another type than the schema declares, given in the declared type when nothing is
 * lost (docs/records.md, "When a value has another type"). Kaltura's types drift between server
 * versions and plugins (a number sent as a string, a flag as 0/1); a record must neither be
 * dropped nor stop its stream for it. Only called for a field the validator rejected.
 */
import { isoSeconds } from './isoSeconds.js';

export interface FieldSchema {
  type?: unknown;
  format?: string;
}

/** The declared types of a field, `null` left out (a cast never yields null: nulling is the caller's). */
export function declaredTypes(field: FieldSchema): string[] {
  const types = Array.isArray(field.type) ? (field.type as unknown[]) : [field.type];
  return types.filter((t): t is string => typeof t === 'string' && t !== 'null');
}

export function allowsNull(field: FieldSchema): boolean {
  return Array.isArray(field.type) ? field.type.includes('null') : field.type === 'null';
}

/** Integers as text: an optional sign and digits, nothing else ("1.5", "12.0", " 12", "0x1f" are not). */
const integerText = /^[+-]?\d+$/;
/** Decimal numbers as JSON writes them, sign allowed ("1.5", "-2e3"; not "NaN", "Infinity", "1,5", " 1"). */
const numberText = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * `value` as one of the field's declared types without losing anything, or undefined when no type
 * takes it whole. Candidates are tried in the schema's order; `accepts` (the field's own validator)
 * has the last word, so a cast never yields what the schema would still refuse.
 */
export function castValue(value: unknown, field: FieldSchema, accepts: (candidate: unknown) => boolean): { value: unknown } | undefined {
  for (const type of declaredTypes(field)) {
    const candidate = castTo(value, type, field.format);
    if (candidate !== undefined && accepts(candidate)) return { value: candidate };
  }
  return undefined;
}

function castTo(value: unknown, type: string, format: string | undefined): unknown {
  switch (type) {
    case 'integer':
      return toInteger(value);
    case 'number':
      return toNumber(value);
    case 'boolean':
      return toBoolean(value);
    case 'string':
      return format === 'date-time' ? toTime(value) : toText(value);
    default:
      // Arrays and objects: nothing else becomes one without guessing.
      return undefined;
  }
}

function toInteger(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  return typeof value === 'string' ? integerFromText(value) : undefined;
}

/** Text of an integer (`"12"`, `"-7"`) as that integer; undefined for anything else. */
export function integerFromText(value: string): number | undefined {
  if (!integerText.test(value)) return undefined;
  const n = Number(value);
  // Beyond 2^53 the digits would change on the way through a double.
  return Number.isSafeInteger(n) ? n : undefined;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string' || !numberText.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function toBoolean(value: unknown): boolean | undefined {
  if (value === 1 || value === '1') return true;
  if (value === 0 || value === '0') return false;
  if (typeof value !== 'string') return undefined;
  const word = value.toLowerCase();
  return word === 'true' ? true : word === 'false' ? false : undefined;
}

function toText(value: unknown): string | undefined {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // A list or an object where text is declared: its JSON text holds all of it.
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return undefined;
}

/** Times are unix seconds; the same seconds written as text are still a time. */
function toTime(value: unknown): string | undefined {
  const seconds = typeof value === 'string' ? integerFromText(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? isoSeconds(seconds) : undefined;
}
