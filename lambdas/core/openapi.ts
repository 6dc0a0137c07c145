import * as z from 'zod';
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from 'zod-openapi';
import { API_ERRORS, API_ROUTES, ErrorBodySchema, type RouteDefinition } from './api-routes';

/** Where the committed document lives (regenerate with `npm run openapi`). */
export const OPENAPI_FILE = 'docs/openapi.json';

/** Calendar refinements (dates in the future) cannot be expressed in JSON Schema: the handler checks them. */
const noToday = (): string => '0000-00-00';

const IdempotencyKeyHeader = z.object({
  'Idempotency-Key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/)
    .optional()
    .meta({ description: 'A retry with the same key (and caller) returns the first answer' }),
});

function operation(route: RouteDefinition): ZodOpenApiOperationObject {
  const errors = new Map<number, string[]>();
  for (const code of [...route.errors, 'INTERNAL_ERROR' as const]) {
    const status = API_ERRORS[code];
    errors.set(status, [...(errors.get(status) ?? []), code]);
  }
  return {
    operationId: route.operationId ?? `${route.name}Tenant${route.name === 'list' ? 's' : ''}`,
    summary: route.summary,
    tags: ['tenants'],
    ...(route.pathParameters || route.query || route.idempotent
      ? {
          requestParams: {
            ...(route.pathParameters ? { path: route.pathParameters } : {}),
            ...(route.query ? { query: route.query } : {}),
            ...(route.idempotent ? { header: IdempotencyKeyHeader } : {}),
          },
        }
      : {}),
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: route.body(noToday) } } } }
      : {}),
    responses: {
      [String(route.success.status)]: {
        description: route.success.description,
        content: { 'application/json': { schema: route.success.schema } },
      },
      ...Object.fromEntries(
        [...errors].map(([status, codes]) => [
          String(status),
          {
            description: `Error: ${codes.join(', ')}`,
            content: { 'application/json': { schema: ErrorBodySchema } },
          },
        ]),
      ),
    },
  };
}

/**
 * The API's OpenAPI 3.1 document, built from the route table and the zod schemas the handlers validate
 * with: nothing in it is written by hand.
 */
export function buildOpenApiDocument(routes: readonly RouteDefinition[] = API_ROUTES) {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route) };
  }
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Tenant control plane API',
      version: '1',
      description:
        'Private REST API (execute-api VPC endpoint, SigV4 auth). Errors are `{ "error": { "code", "message", "details"? } }`.',
    },
    security: [{ sigv4: [] }],
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 for service execute-api',
        },
      },
    },
    paths,
  });
}

const pointer = (segments: string[]) =>
  `/${segments.map((s) => s.replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}`;

/**
 * Where two OpenAPI documents differ, as `added|missing|changed <JSON pointer>` lines (empty when equal):
 * the check between the committed document and the one the route table generates.
 */
export function openApiDrift(committed: unknown, generated: unknown, at: string[] = []): string[] {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (isObject(committed) && isObject(generated) && Array.isArray(committed) === Array.isArray(generated)) {
    const keys = [...new Set([...Object.keys(committed), ...Object.keys(generated)])];
    return keys.flatMap((key) => {
      if (!(key in generated)) return [`missing ${pointer([...at, key])}`];
      if (!(key in committed)) return [`added ${pointer([...at, key])}`];
      return openApiDrift(committed[key], generated[key], [...at, key]);
    });
  }
  return JSON.stringify(committed) === JSON.stringify(generated) ? [] : [`changed ${pointer(at)}`];
}
