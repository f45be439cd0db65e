import type { RawConfig } from '../generated/types.js';
import type { ErrorObject } from 'ajv';
import { createAjv, describeAjvErrors } from '../util/ajv.js';
import { readPackageJson } from '../util/paths.js';
import { readJsonFile } from '../util/files.js';
import { ConnectorError } from '../util/errors.js';
import { secrets } from '../util/redact.js';
import { isObject } from '../util/json.js';
import type { HashType } from '../kaltura/hash.js';

type Defaulted = 'service_url' | 'lookback_window_seconds' | 'page_size' | 'max_concurrency' | 'request_timeout_seconds' | 'allow_insecure_http';
/**
 * The config after validation: the spec's defaults are filled in, so these keys are always present,
 * and hash_type (accepted in any letter case) is upper-cased.
 */
export type Config = Omit<RawConfig, 'hash_type'> & Required<Pick<RawConfig, Defaulted>> & { hash_type?: HashType; startTime?: number };

export const connectorSpec = readPackageJson('spec/spec.json') as { connectionSpecification: Record<string, unknown> } & Record<string, unknown>;
const validate = createAjv({ useDefaults: true }).compile(connectorSpec.connectionSpecification);

export async function loadConfig(path: string, now = Date.now()): Promise<Config> {
  return parseConfig(await readJsonFile(path, 'config'), now);
}

export function parseConfig(input: unknown, now = Date.now()): Config {
  const raw = structuredClone(input);
  if (isObject(raw)) registerSecrets(raw);
  const valid = validate(raw);
  // Every problem at once: the schema's, then the checks it cannot express, on the fields it accepted.
  const schemaErrors = valid ? [] : (validate.errors ?? []);
  const flagged = new Set(schemaErrors.map((e) => e.instancePath.split('/')[1] ?? ''));
  const problems = friendlySchemaProblems(schemaErrors, raw);
  const config = raw as Config;
  if (isObject(config)) {
    if (typeof config.service_url === 'string' && !flagged.has('service_url')) {
      config.service_url = config.service_url.replace(/\/+$/, '');
      problems.push(...checkServiceUrl(config));
    }
    if (typeof config.start_date === 'string' && !flagged.has('start_date')) problems.push(...checkStartDate(config, now));
    if (typeof config.hash_type === 'string' && !flagged.has('hash_type')) config.hash_type = config.hash_type.toUpperCase() as HashType;
  }
  if (problems.length > 0) throw new ConnectorError('config_error', `The config has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}:\n- ${problems.join('\n- ')}`);
  if (config.start_date) config.startTime = Math.floor(Date.parse(config.start_date) / 1000);
  return config;
}

/**
 * The token, and any password in service_url, are secrets from the moment the file is read: no
 * message, not even one about the config itself, may print them.
 */
function registerSecrets(raw: Record<string, unknown>): void {
  if (typeof raw.app_token === 'string') secrets.add(raw.app_token);
  if (typeof raw.service_url !== 'string') return;
  const userinfo = userInfoOf(raw.service_url);
  if (userinfo === undefined) return;
  const password = userinfo.slice(userinfo.indexOf(':') + 1);
  secrets.add(password);
  try {
    secrets.add(decodeURIComponent(password));
  } catch {
    // not percent-encoded: the raw form is registered
  }
}

/**
 * The schema's errors, one line per field, with the fields whose schema rule reads badly
 * ("must match pattern ^https?://...") said the way a person would.
 */
function friendlySchemaProblems(errors: ErrorObject[], raw: unknown): string[] {
  const value = (field: string): unknown => (isObject(raw) ? raw[field] : undefined);
  const special = new Map<string, string>();
  const rest: ErrorObject[] = [];
  for (const e of errors) {
    const field = e.instancePath.split('/')[1] ?? '';
    if (field === 'service_url' && (e.keyword === 'pattern' || e.keyword === 'format')) {
      special.set(field, serviceUrlProblem(value(field)));
    } else if (field === 'hash_type' && e.keyword === 'pattern') {
      special.set(field, `hash_type: ${JSON.stringify(value(field))} is not a hash type; use SHA1, SHA256, SHA512 or MD5 (in any letter case), or leave it out`);
    } else if (field === 'start_date' && (e.keyword === 'pattern' || e.keyword === 'format')) {
      special.set(field, `start_date: ${JSON.stringify(value(field))} is not a date-time; use a form like 2020-01-01T00:00:00Z`);
    } else rest.push(e);
  }
  return [...describeAjvErrors(rest), ...special.values()];
}

function serviceUrlProblem(value: unknown): string {
  if (typeof value === 'string' && hasUserInfo(value)) return credentialsProblem;
  // Past hasUserInfo: no credentials left to hide.
  const shown = JSON.stringify(value);
  const fix = 'use the API host of your Kaltura account, such as https://www.kaltura.com';
  let url: URL | undefined;
  try {
    url = new URL(String(value));
  } catch {
    url = undefined;
  }
  if (!url) return `service_url: ${shown} is not a URL; ${fix}`;
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `service_url: ${shown} must start with https://; ${fix}`;
  if (url.pathname !== '/' || url.search || url.hash) return `service_url: ${shown} has a path; give only the host (the connector adds /api_v3/...), such as https://www.kaltura.com`;
  return `service_url: ${shown} is not of the form https://host[:port]; ${fix}`;
}

/** Said without the URL: quoting it would print the very password it refuses. */
const credentialsProblem =
  'service_url: holds a user name or password (the "user:password@" before the host), which Kaltura never uses and the connector will not send: remove it and give only the host, such as https://www.kaltura.com (the app token is the credential)';

/** A URL's user info (`user:password` of `user:password@host`), whether or not it parses as a URL. */
function userInfoOf(value: string): string | undefined {
  return /^\s*[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(value)?.[1];
}

function hasUserInfo(value: string): boolean {
  return userInfoOf(value) !== undefined;
}

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

function checkServiceUrl(config: Config): string[] {
  if (hasUserInfo(config.service_url)) return [credentialsProblem];
  let url: URL;
  try {
    url = new URL(config.service_url);
  } catch {
    return [`service_url: ${JSON.stringify(config.service_url)} is not a URL; use the API host, such as https://www.kaltura.com`];
  }
  const loopback = loopbackHosts.has(url.hostname) || url.hostname.startsWith('127.');
  if (url.protocol === 'http:' && !loopback && !config.allow_insecure_http) {
    return [`service_url: ${url.origin} is plain http, which would send the app token unencrypted; use https:// (or set allow_insecure_http to true if you must)`];
  }
  return [];
}

function checkStartDate(config: Config, now: number): string[] {
  if (!config.start_date) return [];
  const at = Date.parse(config.start_date);
  if (Number.isNaN(at)) return [`start_date: "${config.start_date}" is not a date; use a form like 2020-01-01T00:00:00Z`];
  if (at > now) return [`start_date: ${config.start_date} is in the future, so nothing would be read; use a past date or leave it empty`];
  return [];
}
