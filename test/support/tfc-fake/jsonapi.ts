/**
 * JSON:API plumbing shared by the handlers: replies, error objects, request-document readers,
 * timestamps and pagination, all in the shapes api-docs/index.mdx documents.
 */

export const JSON_API = 'application/vnd.api+json';

/** What a handler answers. `raw` bodies (archivist objects) are sent as they are. */
export interface Reply {
  status: number;
  body?: unknown;
  raw?: Buffer | string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface JsonApiError {
  status: string;
  title: string;
  detail?: string;
  source?: { pointer: string };
}

/** A JSON:API error document with one error object; `status` is a string as TFC sends it. */
export function errorReply(status: number, title: string, detail?: string, pointer?: string): Reply {
  const error: JsonApiError = { status: String(status), title };
  if (detail !== undefined) error.detail = detail;
  if (pointer !== undefined) error.source = { pointer };
  return { status, body: { errors: [error] } };
}

/** index.mdx: 404 for missing resources and for resources the token may not see. */
export function notFound(): Reply {
  return errorReply(404, 'not found');
}

/** Thrown by the readers below; the server answers 422 "invalid attribute" with the pointer. */
export class InvalidAttributeError extends Error {
  public constructor(
    public readonly pointer: string,
    public readonly detail: string,
    public readonly title = 'invalid attribute',
  ) {
    super(detail);
  }
}

/** Thrown when the body is not JSON or not a JSON:API document. */
export class MalformedBodyError extends Error {}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `data` resource of a request document (index.mdx, "JSON API Documents"). */
export interface ResourceInput {
  id: string | undefined;
  type: string | undefined;
  attributes: Record<string, unknown>;
  relationships: Record<string, unknown>;
}

export function readResource(body: unknown): ResourceInput {
  if (!isRecord(body) || !isRecord(body.data)) throw new MalformedBodyError('expected a JSON:API document');
  const { id, type, attributes, relationships } = body.data;
  return {
    id: typeof id === 'string' ? id : undefined,
    type: typeof type === 'string' ? type : undefined,
    attributes: isRecord(attributes) ? attributes : {},
    relationships: isRecord(relationships) ? relationships : {},
  };
}

/**
 * The request's resource, which must be of type `expected`: index.mdx "JSON API Documents" (`data`
 * "Must have a `type` property"). A missing type is a malformed body, 422 as run.mdx lists for
 * "Malformed request body (missing attributes, wrong types, etc.)"; another type is a JSON:API
 * conflict, 409 (jsonapi.org "Creating Resources"; TFC answers so, go-tfe never sends it).
 */
export function readTyped(body: unknown, expected: string): ResourceInput {
  const resource = readResource(body);
  if (resource.type === undefined) {
    throw new InvalidAttributeError('/data/type', `data.type is required and must be "${expected}"`);
  }
  if (resource.type !== expected) throw new WrongTypeError(expected);
  return resource;
}

/** A resource of another type than the endpoint's: 409 Conflict. */
export class WrongTypeError extends Error {
  public constructor(public readonly expected: string) {
    super(`data.type must be "${expected}"`);
  }
}

/** `data` of a document whose data is an array (tag and tag-binding relationship endpoints). */
export function readResourceList(body: unknown): ResourceInput[] {
  if (!isRecord(body) || !Array.isArray(body.data)) throw new MalformedBodyError('expected a data array');
  const items: unknown[] = body.data;
  return items.map((item) => readResource({ data: item }));
}

export function optionalString(attrs: Record<string, unknown>, key: string): string | undefined {
  const value = attrs[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw new InvalidAttributeError(`/data/attributes/${key}`, `${key} must be a string`);
  return value;
}

export function optionalBoolean(attrs: Record<string, unknown>, key: string): boolean | undefined {
  const value = attrs[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw new InvalidAttributeError(`/data/attributes/${key}`, `${key} must be a boolean`);
  }
  return value;
}

/** `data.relationships.<name>.data.id`, when present. */
export function relationshipId(relationships: Record<string, unknown>, name: string): string | undefined {
  const rel = relationships[name];
  if (!isRecord(rel) || !isRecord(rel.data)) return undefined;
  return typeof rel.data.id === 'string' ? rel.data.id : undefined;
}

/** `data.relationships.<name>.data[]` as resources. */
export function relationshipList(relationships: Record<string, unknown>, name: string): ResourceInput[] {
  const rel = relationships[name];
  if (!isRecord(rel) || !Array.isArray(rel.data)) return [];
  const items: unknown[] = rel.data;
  return items.map((item) => readResource({ data: item }));
}

/** `created-at` style: `2021-08-16T21:22:49.566Z` (workspaces.mdx samples). */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** `status-timestamps` style: `2021-05-24T07:38:04+00:00` (run.mdx samples). */
export function statusTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export interface Paged<T> {
  items: T[];
  links: Record<string, string | null>;
  meta: { pagination: Record<string, number | null> };
}

function pageLink(base: string, path: string, number: number, size: number): string {
  return `${base}${path}?page%5Bnumber%5D=${number}&page%5Bsize%5D=${size}`;
}

function positiveInt(raw: string | null, fallback: number): number {
  const value = raw === null ? Number.NaN : Number(raw);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

/** index.mdx "Pagination": `page[number]`, `page[size]` (default 20, max 100), links and meta. */
export function paginate<T>(
  items: readonly T[],
  query: URLSearchParams,
  base: string,
  path: string,
): Paged<T> {
  const size = Math.min(100, positiveInt(query.get('page[size]'), 20));
  const totalPages = Math.max(1, Math.ceil(items.length / size));
  const number = Math.min(totalPages, positiveInt(query.get('page[number]'), 1));
  const prev = number > 1 ? number - 1 : null;
  const next = number < totalPages ? number + 1 : null;
  return {
    items: items.slice((number - 1) * size, number * size),
    links: {
      self: pageLink(base, path, number, size),
      first: pageLink(base, path, 1, size),
      prev: prev === null ? null : pageLink(base, path, prev, size),
      next: next === null ? null : pageLink(base, path, next, size),
      last: pageLink(base, path, totalPages, size),
    },
    meta: {
      pagination: {
        'current-page': number,
        'page-size': size,
        'prev-page': prev,
        'next-page': next,
        'total-pages': totalPages,
        'total-count': items.length,
      },
    },
  };
}
