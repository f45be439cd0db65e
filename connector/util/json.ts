/** A JSON object: not null, not an array. */
export function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * At most `max` characters of a value's JSON text, for a log line or a message: a state file may
 * hold megabytes, and a line that quotes it whole helps nobody.
 */
export function excerpt(value: unknown, max = 120): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length.toLocaleString('en-US')} characters)`;
}
