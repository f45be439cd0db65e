import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule, { type FormatsPlugin } from 'ajv-formats';

// ajv-formats ships CommonJS; under ES modules its default export arrives wrapped once more.
const addFormats = ((addFormatsModule as unknown as { default?: FormatsPlugin }).default ?? addFormatsModule) as FormatsPlugin;

/** Keywords that Airbyte and Singer put in schemas; ajv must accept them without validating anything. */
const annotationKeywords = ['airbyte_secret', 'airbyte_type', 'airbyte_hidden', 'order', 'pattern_descriptor', 'always_show', 'group'];

/**
 * An Ajv for the package's own schemas. They are not checked against the JSON Schema meta-schema
 * here: compiling it costs each process ~40 ms per instance, and the test suite checks every schema
 * the package ships against it instead (`validateSchema: true` there).
 */
export function createAjv(options: { useDefaults?: boolean; coerceTypes?: boolean; allErrors?: boolean; validateSchema?: boolean } = {}): Ajv {
  const ajv = new Ajv({
    allErrors: options.allErrors ?? true,
    strict: false,
    useDefaults: options.useDefaults ?? false,
    coerceTypes: options.coerceTypes ?? false,
    validateSchema: options.validateSchema ?? false,
  });
  addFormats(ajv);
  for (const keyword of annotationKeywords) ajv.addKeyword({ keyword, schemaType: ['boolean', 'string', 'number', 'object', 'array'] });
  return ajv;
}

/** One line per problem, naming the field as a user wrote it (`page_size`, `streams[0].stream.name`). */
export function describeAjvErrors(errors: ErrorObject[] | null | undefined, root = ''): string[] {
  const seen = new Set<string>();
  const lines: string[] = [];
  for (const e of errors ?? []) {
    const where = fieldPath(root, e);
    const text = `${where || '(top level)'}: ${explain(e)}`;
    if (!seen.has(text)) {
      seen.add(text);
      lines.push(text);
    }
  }
  return lines;
}

function fieldPath(root: string, e: ErrorObject): string {
  const parts = e.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`));
  let path = root + parts.join('');
  if (e.keyword === 'required') path += `${path ? '.' : ''}${(e.params as { missingProperty: string }).missingProperty}`;
  if (e.keyword === 'additionalProperties') path += `${path ? '.' : ''}${(e.params as { additionalProperty: string }).additionalProperty}`;
  return path.replace(/^\./, '');
}

function explain(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return 'is required but missing';
    case 'additionalProperties':
      return 'is not a known setting (check its spelling)';
    case 'type':
      return `must be ${String(p.type)}`;
    case 'enum':
      return `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `must be ${String(p.comparison)} ${String(p.limit)}`;
    case 'format':
      return `must be a ${String(p.format)}${p.format === 'date-time' ? ' such as 2020-01-01T00:00:00Z' : ''}`;
    default:
      return e.message ?? 'is invalid';
  }
}
