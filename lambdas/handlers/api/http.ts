import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
import {
  ControlPlaneError,
  FlowStartError,
  IdempotencyInProgressError,
  IdempotencyKeyReusedError,
  RolloutConflictError,
  RolloutNotFoundError,
  TenantConflictError,
  TenantNotFoundError,
  ValidationError,
} from '../../core/errors';
import { API_ERRORS, type ApiErrorCode } from '../../core/api-routes';
import { MAX_BODY_BYTES } from '../../core/api-schema';
import { currentLogger } from '../../shared/observability';

export type ApiEvent = Partial<
  Pick<
    APIGatewayProxyEvent,
    'body' | 'isBase64Encoded' | 'headers' | 'pathParameters' | 'queryStringParameters'
  >
> & {
  requestContext?: {
    requestId?: string;
    identity?: { userArn?: string | null; caller?: string | null };
  };
};
export type ApiResult = APIGatewayProxyResult;

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

export function json(statusCode: number, body: unknown): ApiResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
}

/** The one place typed errors become HTTP answers. */
export function errorResponse(error: unknown): ApiResult {
  const answer = (code: ApiErrorCode, message: string, details?: unknown) =>
    json(API_ERRORS[code], {
      error: { code, message, ...(details === undefined ? {} : { details }) },
    } satisfies ErrorBody);
  if (error instanceof ValidationError) return answer('VALIDATION_ERROR', error.message, error.issues);
  if (error instanceof TenantNotFoundError) return answer('TENANT_NOT_FOUND', error.message);
  if (error instanceof TenantConflictError) {
    return answer('TENANT_CONFLICT', error.message, { currentStatus: error.currentStatus });
  }
  if (error instanceof RolloutNotFoundError) return answer('ROLLOUT_NOT_FOUND', error.message);
  if (error instanceof RolloutConflictError) return answer('ROLLOUT_CONFLICT', error.message);
  if (error instanceof IdempotencyInProgressError) return answer('IDEMPOTENCY_IN_PROGRESS', error.message);
  if (error instanceof IdempotencyKeyReusedError) return answer('IDEMPOTENCY_KEY_REUSED', error.message);
  if (error instanceof FlowStartError) {
    currentLogger().error('flow could not be started', { error });
    return answer('FLOW_START_FAILED', error.message);
  }
  currentLogger().error('unhandled error', { error });
  const message = error instanceof ControlPlaneError ? error.message : 'internal error';
  return answer('INTERNAL_ERROR', message);
}

/** Turns a zod failure into a ValidationError naming each field. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: describeIssue(i),
  }));
  const first = issues[0];
  throw new ValidationError(
    first ? `invalid ${what}: ${first.path || what} ${first.message}` : `invalid ${what}`,
    issues,
  );
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `has unknown field(s): ${issue.keys.join(', ')}`;
  return issue.message;
}

/** Parses a JSON body: required, at most MAX_BODY_BYTES, well-formed. */
export function parseJsonBody(body: string | null | undefined, isBase64Encoded = false): unknown {
  if (body === null || body === undefined || body === '') {
    throw new ValidationError('request body is required', [{ path: '', message: 'is required' }]);
  }
  const raw = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (raw.byteLength > MAX_BODY_BYTES) {
    throw new ValidationError(`request body is larger than ${MAX_BODY_BYTES} bytes`, [
      { path: '', message: `exceeds ${MAX_BODY_BYTES} bytes` },
    ]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8')) as unknown;
  } catch (cause) {
    throw new ValidationError(
      'request body is not valid JSON',
      [{ path: '', message: 'is not valid JSON' }],
      { cause },
    );
  }
  const proto = protoKeyPath(parsed);
  if (proto !== undefined) {
    throw new ValidationError(`invalid request body: ${proto} is a reserved name`, [
      { path: proto, message: 'is a reserved name' },
    ]);
  }
  return parsed;
}

/**
 * The path of the first `__proto__` key in parsed JSON. JSON.parse keeps it as an own property, but any
 * copy into a plain object (a schema's output) drops it silently: it is refused instead of ignored.
 */
function protoKeyPath(value: unknown, path: string[] = []): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  for (const key of Object.keys(value)) {
    const here = [...path, key];
    if (key === '__proto__') return here.join('.');
    const nested = protoKeyPath((value as Record<string, unknown>)[key], here);
    if (nested !== undefined) return nested;
  }
  return undefined;
}

/** Case-insensitive header lookup (API Gateway keeps the client's casing). */
export function header(event: ApiEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** `api:<caller>` from the SigV4 identity API Gateway verified. */
export function requestedBy(event: ApiEvent): string {
  const identity = event.requestContext?.identity;
  return `api:${identity?.userArn ?? identity?.caller ?? 'unknown'}`;
}
