/**
 * The Kaltura error codes of the API contract (shared/kaltura-api.md): the error table has a rule
 * for each, checked by the compiler. Kaltura can answer others (a newer server, a plugin); they
 * stay plain strings and get the table's rule for unknown codes.
 */
export const kalturaCodes = [
  'INVALID_WIDGET_ID',
  'APP_TOKEN_ID_NOT_FOUND',
  'APP_TOKEN_NOT_ACTIVE',
  'APP_TOKEN_EXPIRED',
  'INVALID_APP_TOKEN_HASH',
  'SERVICE_FORBIDDEN',
  'SERVICE_FORBIDDEN_CONTENT_BLOCKED',
  'USER_BLOCKED',
  'SERVICE_DOES_NOT_EXISTS',
  'ACTION_DOES_NOT_EXISTS',
  'MISSING_KS',
  'INVALID_KS',
  'QUERY_EXCEEDED_MAX_MATCHES_ALLOWED',
  'MUST_FILTER_ON_ENTRY_OR_CATEGORY',
  'ACTION_BLOCKED',
  'INTERNAL_SERVERL_ERROR',
  // The alpha layer's spelling of the same failure (APIErrors: "INTERNAL_SERVER_ERROR;ERR_TEXT;...").
  'INTERNAL_SERVER_ERROR',
  'INTERNAL_DATABASE_ERROR',
] as const;

export type KalturaCode = (typeof kalturaCodes)[number];

const known = new Set<string>(kalturaCodes);

function isKnownCode(code: string): code is KalturaCode {
  return known.has(code);
}

/** An answer of Kaltura's with `objectType: "KalturaAPIException"`. */
export class KalturaApiError extends Error {
  override readonly name = 'KalturaApiError';
  constructor(
    /** As Kaltura answered it: one of `KalturaCode`, or a code the connector does not know. */
    readonly code: string,
    message: string,
    readonly args: Record<string, string>,
    readonly service: string,
    readonly action: string,
  ) {
    super(message);
  }
  /** The code, when it is one the error table knows. */
  get knownCode(): KalturaCode | undefined {
    return isKnownCode(this.code) ? this.code : undefined;
  }
}

/** Whether `err` is Kaltura's answer `code`: a typed comparison, so a misspelt code does not compile. */
export function hasCode(err: unknown, code: KalturaCode): err is KalturaApiError {
  return err instanceof KalturaApiError && err.code === code;
}

/**
 * How an exchange failed before a Kaltura answer could be read: an HTTP status other than 200, no
 * answer within the timeout, a network error (reset, refused, DNS), an answer cut off mid-body, an
 * answer that is not Kaltura's API at all (a web page, text, JSON of another kind), or Kaltura's
 * XML (the JSON body was ignored). The error table says which of them are worth another try.
 */
export type TransportFailure = 'status' | 'timeout' | 'network' | 'cut' | 'foreign' | 'xml';

/** What a server answered, for a message that names it: status, content type, a short excerpt. */
export interface AnswerSketch {
  status: number;
  contentType?: string;
  /** The start of the body as a person would read it, secrets removed. */
  excerpt?: string;
}

/** A failure in front of the API, or an answer that is not the API's. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
  readonly status?: number;
  /** The server's Retry-After, in milliseconds. */
  readonly retryAfterMs?: number;
  /** What was answered, when something was. */
  readonly answer?: AnswerSketch;
  /** Where a redirect (3xx) leads. */
  readonly location?: string;
  constructor(
    readonly kind: TransportFailure,
    message: string,
    options: { status?: number; retryAfterMs?: number; answer?: AnswerSketch; location?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status ?? options.answer?.status;
    this.retryAfterMs = options.retryAfterMs;
    this.answer = options.answer;
    this.location = options.location;
  }
}
