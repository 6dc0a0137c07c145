import { createTestTables, type TestTables } from './dynamodb';
import { FAST_TIMINGS, startTfcFake, type TfcFake } from './tfc-fake/server';
import type { TfcFakeOptions } from './tfc-fake/types';

export interface FlowFixtures {
  tables: TestTables;
  fake: TfcFake;
}

/**
 * The tables on DynamoDB Local and a TFC fake (organization `acme`, fast timings unless `options` say
 * otherwise) for one test file: created before its tests, closed and dropped after them.
 */
export function useFlowFixtures(options: Partial<TfcFakeOptions> = {}): FlowFixtures {
  const fixtures = {} as FlowFixtures;
  beforeAll(async () => {
    fixtures.tables = await createTestTables();
    fixtures.fake = await startTfcFake({
      organization: 'acme',
      token: 'tfc-test-token-123',
      ...FAST_TIMINGS,
      ...options,
    });
  });
  afterAll(async () => {
    await fixtures.fake.close();
    await fixtures.tables.drop();
  });
  return fixtures;
}
