/**
 * The one scrubber for text that leaves the Terraform Cloud adapter: error messages, their stacks, causes
 * and attributes (the JSON:API `title`/`detail` TFC sent), whatever a person later reads as a tenant's
 * `lastError`, in the table, in the lifecycle event or in the logs. TFC error bodies are written by a
 * server the control plane does not control, and a proxy or a Terraform Enterprise plugin may echo the
 * request back: the API token, an `Authorization` header, a one-time archivist upload URL (a secret in
 * itself, api-docs/index.mdx "Blob Storage Authentication") or a signed query string.
 */

/** Longest message that leaves the adapter; the start of TFC's error (its title and detail) is kept. */
export const MAX_TFC_MESSAGE_LENGTH = 1000;
/** Longest JSON:API `title` or `detail` kept on an error's attributes. */
export const MAX_TFC_DETAIL_LENGTH = 500;

const REDACTED = '[redacted]';
/** Configured secrets shorter than this are not searched for (they would redact ordinary words). */
const MIN_SECRET_LENGTH = 8;

export interface ScrubOptions {
  /** Exact values to remove wherever they appear, e.g. the configured API token. */
  secrets?: readonly string[];
  /** @default MAX_TFC_MESSAGE_LENGTH */
  maxLength?: number;
}

/** HCP Terraform user, team and organization tokens: `<id>.atlasv1.<secret>`. */
const ATLAS_TOKEN = /\b[A-Za-z0-9]+\.atlasv1\.[A-Za-z0-9_-]+/g;
const BEARER = /\b(bearer)\s+[^\s"',;]+/gi;
const AUTHORIZATION = /\b(authorization)(["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\r\n,;}]*)/gi;
const URL_PATTERN = /\bhttps?:\/\/[^\s"'<>`\\)\]}]+/gi;
const SECRET_FIELD =
  /\b(token|access[_-]?token|api[_-]?key|password|passwd|secret|signature|sig|credential|x-amz-signature|x-amz-credential|x-amz-security-token)(["']?\s*[:=]\s*["']?)([^\s"'&,;)}\]]+)/gi;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]+/g;

/**
 * A URL with its secrets removed: an archivist object URL (TFC's `archivist.terraform.io/v1/object/…`,
 * Terraform Enterprise's `/_archivist/…`) entirely, any other URL's query string and user info.
 */
function scrubUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return REDACTED;
  }
  if (url.hostname.startsWith('archivist.') || /\/_archivist\/|\/v1\/object\//.test(url.pathname)) {
    return '[redacted upload URL]';
  }
  const query = url.search ? `?${REDACTED}` : '';
  return `${url.protocol}//${url.host}${url.pathname}${query}`;
}

/**
 * `text` safe to store, publish and log: `secrets`, bearer and `Authorization` values, HCP Terraform tokens,
 * archivist URLs, query strings and `token=`/`signature=`-style values redacted; control characters turned
 * into spaces; at most `maxLength` characters.
 */
export function scrubText(text: string, options: ScrubOptions = {}): string {
  const maxLength = options.maxLength ?? MAX_TFC_MESSAGE_LENGTH;
  let out = text;
  for (const secret of new Set(options.secrets ?? [])) {
    if (secret.length >= MIN_SECRET_LENGTH) out = out.split(secret).join(REDACTED);
  }
  out = out
    .replace(URL_PATTERN, scrubUrl)
    .replace(ATLAS_TOKEN, REDACTED)
    .replace(AUTHORIZATION, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`)
    .replace(BEARER, (_m, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(SECRET_FIELD, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`)
    .replace(CONTROL, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
  return out.length > maxLength ? `${out.slice(0, maxLength)}… (truncated)` : out;
}

/** Own attributes whose values are TFC's text: each JSON:API error object's `title` and `detail`. */
function scrubAttributes(error: Error, secrets: readonly string[]): void {
  const attributes = error as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(attributes)) {
    if (typeof value === 'string') {
      attributes[key] = scrubText(value, { secrets, maxLength: MAX_TFC_DETAIL_LENGTH });
    } else if (Array.isArray(value)) {
      attributes[key] = value.map((item: unknown) =>
        item !== null && typeof item === 'object'
          ? Object.fromEntries(
              Object.entries(item).map(([k, v]) => [
                k,
                typeof v === 'string' ? scrubText(v, { secrets, maxLength: MAX_TFC_DETAIL_LENGTH }) : v,
              ]),
            )
          : item,
      );
    }
  }
}

/**
 * Scrubs an error leaving the adapter in place, with every error in its `cause` chain: message, stack
 * (whose first line repeats the message), and string attributes. The error keeps its class, `retryable`
 * and status, so callers still tell errors apart; only their text changes.
 */
export function scrubError<T>(error: T, secrets: readonly string[] = []): T {
  const seen = new Set<unknown>();
  for (let current: unknown = error; current instanceof Error && !seen.has(current);) {
    seen.add(current);
    const message = scrubText(current.message, { secrets });
    current.message = message;
    if (typeof current.stack === 'string') {
      const frames = current.stack.split('\n').filter((line) => /^\s+at /.test(line));
      current.stack = [`${current.name}: ${message}`, ...frames.map((f) => scrubText(f, { secrets }))].join(
        '\n',
      );
    }
    scrubAttributes(current, secrets);
    current = current.cause;
  }
  return error;
}
