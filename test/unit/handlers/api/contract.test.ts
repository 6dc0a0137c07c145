import { API_ERRORS, ErrorBodySchema, route, type RouteName } from '../../../../lambdas/core/api-routes';
import type { ApiResult } from '../../../../lambdas/handlers/api/http';
import { createTestTables, type TestTables } from '../../../support/dynamodb';
import { apiOver, event, fixedClock } from '../../../support/api';

const clock = fixedClock('2026-11-23T10:00:00.000Z');
let tables: TestTables;
beforeAll(async () => {
  tables = await createTestTables();
});
afterAll(() => tables.drop());

/** The answer is one the route table (and so the OpenAPI document) declares, with a body of its schema. */
function expectDeclared(name: RouteName, result: ApiResult): void {
  const definition = route(name);
  const body = JSON.parse(result.body) as unknown;
  if (result.statusCode === definition.success.status) {
    expect(definition.success.schema.safeParse(body).error).toBeUndefined();
    return;
  }
  const error = ErrorBodySchema.parse(body).error;
  const declared: string[] = [...definition.errors];
  expect([name, error.code, declared.includes(error.code)]).toEqual([name, error.code, true]);
  expect(result.statusCode).toBe(API_ERRORS[error.code as keyof typeof API_ERRORS]);
}

describe('the handlers answer what the route table declares', () => {
  it('successes match the response schemas; errors use declared codes with their statuses', async () => {
    const { api } = apiOver(tables, clock);
    const tenantCode = `contract-${Date.now().toString(36)}`;
    const answers: Array<[RouteName, ApiResult]> = [
      ['create', await api.create(event({ body: { tenantCode, variables: { notebook_port: '8001' } } }))],
      ['create', await api.create(event({ body: { tenantCode } }))],
      ['create', await api.create(event({ body: '{bad json' }))],
      ['get', await api.get(event({ code: tenantCode }))],
      ['get', await api.get(event({ code: 'nobody-here' }))],
      ['get', await api.get(event({ code: 'BAD' }))],
      ['list', await api.list(event({}))],
      ['list', await api.list(event({ query: { limit: '0' } }))],
      ['update', await api.update(event({ code: tenantCode, body: {} }))],
      ['update', await api.update(event({ code: 'nobody-here', body: {} }))],
      ['delete', await api.delete(event({ code: tenantCode }))],
      ['history', await api.history(event({ code: tenantCode }))],
      ['history', await api.history(event({ code: 'nobody-here' }))],
      ['history', await api.history(event({ code: tenantCode, query: { limit: '101' } }))],
    ];

    for (const [name, result] of answers) expectDeclared(name, result);
    expect(answers.map(([, r]) => r.statusCode)).toEqual([
      202, 409, 400, 200, 404, 400, 200, 400, 409, 404, 409, 200, 404, 400,
    ]);
  });
});
