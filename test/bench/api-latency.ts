import { systemClock } from '../../lambdas/core/ports';
import type { ApiResult } from '../../lambdas/handlers/api/http';
import { apiOver, event } from '../support/api';
import { createTestTables } from '../support/dynamodb';
import type { Figure, SectionResult } from './report';
import type { Scope } from './scope';
import { distribution, round, since, type Distribution } from './stats';

export interface ApiLatencyOptions {
  creates: number;
  gets: number;
  warmup: number;
}

async function measure(
  count: number,
  call: (i: number) => Promise<ApiResult>,
  expected: number,
): Promise<{ latencies: number[]; unexpected: string[] }> {
  const latencies: number[] = [];
  const unexpected: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = performance.now();
    const result = await call(i);
    latencies.push(since(start));
    if (result.statusCode !== expected) unexpected.push(`${result.statusCode} ${result.body.slice(0, 160)}`);
  }
  return { latencies, unexpected };
}

/**
 * Figure 4: latency of the API's create and get routes in-process (the route functions of `makeTenantApi`,
 * as each Lambda runs them) against DynamoDB Local, with a recording event publisher. One request at a
 * time, after a warm-up, so the figure is the per-request cost rather than a throughput.
 */
export async function apiLatency(options: ApiLatencyOptions, scope: Scope): Promise<SectionResult> {
  const tables = await createTestTables();
  scope.defer('API latency tables', tables, () => tables.drop());
  const { api } = apiOver(tables, systemClock);
  const create = (prefix: string) => (i: number) =>
    api.create(
      event({
        body: { tenantCode: `${prefix}-${i}`, tier: 'small', variables: { notebook_port: '8888' } },
        headers: { 'idempotency-key': `${prefix}-${i}` },
      }),
    );
  const get = (prefix: string, pool: number) => (i: number) =>
    api.get(event({ code: `${prefix}-${(i * 7919) % pool}` }));

  await measure(options.warmup, create('warm'), 202);
  await measure(options.warmup * 4, get('warm', Math.max(1, options.warmup)), 200);
  const creates = await measure(options.creates, create('lat'), 202);
  const gets = await measure(options.gets, get('lat', Math.max(1, options.creates)), 200);

  const c = distribution(creates.latencies);
  const g = distribution(gets.latencies);
  const base = `route functions of makeTenantApi called in-process (as test/support/api.ts does) over DynamoDB Local (in-memory, on this host) with a recording event publisher, one request at a time after ${options.warmup} creates and ${options.warmup * 4} gets of warm-up`;
  const figure = (name: string, d: Distribution, what: string): Figure => ({
    name,
    values: {
      p50: round(d.p50, 2),
      p99: round(d.p99, 2),
      mean: round(d.mean, 2),
      max: round(d.max, 2),
      requests: d.count,
    },
    unit: 'ms',
    method: `${what}; ${base}`,
  });
  const problems = [
    ...(creates.unexpected.length
      ? [`${creates.unexpected.length} creates did not answer 202: ${creates.unexpected[0]}`]
      : []),
    ...(gets.unexpected.length
      ? [`${gets.unexpected.length} gets did not answer 200: ${gets.unexpected[0]}`]
      : []),
  ];
  return {
    title: '4. API latency in-process against DynamoDB Local',
    figures: [
      figure(
        'apiLatency.create',
        c,
        `${c.count} POST /tenants (api.create) with an Idempotency-Key as tenantctl sends: idempotency record, conditional transition, publish, idempotency completion`,
      ),
      figure(
        'apiLatency.get',
        g,
        `${g.count} GET /tenants/{code} (api.get) of the tenants created: one consistent GetItem`,
      ),
    ],
    tables: [
      {
        columns: ['route', 'requests', 'p50 ms', 'p99 ms', 'mean ms', 'max ms'],
        rows: [
          [
            'create (POST /tenants)',
            c.count,
            round(c.p50, 2),
            round(c.p99, 2),
            round(c.mean, 2),
            round(c.max, 2),
          ],
          [
            'get (GET /tenants/{code})',
            g.count,
            round(g.p50, 2),
            round(g.p99, 2),
            round(g.mean, 2),
            round(g.max, 2),
          ],
        ],
      },
    ],
    problems,
    notes: [],
  };
}
