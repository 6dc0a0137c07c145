import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { API_ERRORS, API_ROUTES, HistoryQuerySchema } from '../../../lambdas/core/api-routes';
import { buildOpenApiDocument, OPENAPI_FILE, openApiDrift } from '../../../lambdas/core/openapi';

const committed = JSON.parse(readFileSync(join(__dirname, '../../..', OPENAPI_FILE), 'utf8')) as unknown;

describe('the OpenAPI document', () => {
  it('is committed exactly as the route table and the handlers’ schemas generate it (npm run openapi)', () => {
    expect(openApiDrift(committed, buildOpenApiDocument())).toEqual([]);
  });

  it('documents every route of the table and every error code the API answers', () => {
    const doc = buildOpenApiDocument() as unknown as {
      paths: Record<string, Record<string, { responses: object }>>;
    };
    for (const route of API_ROUTES) {
      const operation = doc.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation).toBeDefined();
      const statuses = Object.keys(operation?.responses ?? {});
      expect(statuses).toContain(String(route.success.status));
      for (const code of route.errors) expect(statuses).toContain(String(API_ERRORS[code]));
    }
    const described = JSON.stringify(doc);
    for (const code of Object.keys(API_ERRORS)) expect(described).toContain(code);
  });

  describe('the check fails when the document and the API disagree', () => {
    const driftWith = (routes: typeof API_ROUTES) => openApiDrift(committed, buildOpenApiDocument(routes));

    it('a schema changed', () => {
      const mutated = API_ROUTES.map((r) =>
        r.name === 'history'
          ? { ...r, query: HistoryQuerySchema.extend({ limit: z.coerce.number().int().min(1).max(500) }) }
          : r,
      );
      expect(driftWith(mutated)).toContainEqual(
        expect.stringMatching(/^changed \/paths\/~1tenants~1\{code\}~1history\/get\/parameters\//),
      );
    });

    it('a route added or removed', () => {
      expect(driftWith(API_ROUTES.filter((r) => r.name !== 'delete'))).toContain(
        'missing /paths/~1tenants~1{code}/delete',
      );
      const extra = { ...API_ROUTES[0]!, path: '/tenants/{code}/retry' } as (typeof API_ROUTES)[number];
      expect(driftWith([...API_ROUTES, extra])).toContain('added /paths/~1tenants~1{code}~1retry');
    });

    it('an error code a route answers', () => {
      const mutated = API_ROUTES.map((r) =>
        r.name === 'get' ? { ...r, errors: [...r.errors, 'TENANT_CONFLICT' as const] } : r,
      );
      expect(driftWith(mutated)).toContain('added /paths/~1tenants~1{code}/get/responses/409');
    });
  });
});
