import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { createAwsClients, type AwsClients } from '../../../../lambdas/adapters/aws-clients';
import { DynamoDbTenantRepository } from '../../../../lambdas/adapters/dynamodb/tenant-repository';
import { ValidationError } from '../../../../lambdas/core/errors';
import { EVENT_SOURCE } from '../../../../lambdas/core/flows';
import { parseTenantCode, type TenantCode } from '../../../../lambdas/core/tenant-code';
import {
  decommissionFromEnv,
  decommissionHandler,
  reconcilerFromEnv,
  reconcilerHandler,
} from '../../../../lambdas/handlers/ops/wiring';
import { ConfigError } from '../../../../lambdas/shared/config';
import { LOCAL_AWS } from '../../../../lambdas/local/dynamodb-local';
import { fixedClock, tableSnapshot } from '../../../support/api';
import { createTestTables, type TestTables } from '../../../support/dynamodb';

const NOW = '2026-11-23T03:00:00.000Z';
const clock = fixedClock(NOW);
const eventBridge = mockClient(EventBridgeClient);
const sfn = mockClient(SFNClient);

let tables: TestTables;
let clients: AwsClients;
let repository: DynamoDbTenantRepository;
beforeEach(async () => {
  eventBridge.reset();
  sfn.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  tables = await createTestTables();
  clients = createAwsClients({ ...LOCAL_AWS, dynamoDbEndpoint: process.env.TEST_DYNAMODB_ENDPOINT });
  repository = new DynamoDbTenantRepository(clients.doc, tables.tenantTable, {
    tableName: tables.historyTable,
  });
});
afterEach(async () => {
  clients.dynamodb.destroy();
  await tables.drop();
});

const env = (without?: string): Record<string, string> => {
  const all: Record<string, string> = {
    TABLE_NAME: tables.tenantTable,
    HISTORY_TABLE_NAME: tables.historyTable,
    CREATE_BUS_NAME: 'create-bus',
    UPDATE_BUS_NAME: 'update-bus',
    DELETE_BUS_NAME: 'delete-bus',
  };
  if (without) delete all[without];
  return all;
};

async function readyTenant(decommissionDate?: string): Promise<TenantCode> {
  const code = parseTenantCode(`ops-${randomUUID().slice(0, 8)}`);
  const { after } = await repository.transition({
    tenantCode: code,
    action: 'create',
    flowId: randomUUID(),
    requestedBy: 'api:test',
    now: '2026-10-01T00:00:00.000Z',
    changes: decommissionDate ? { decommissionDate } : {},
  });
  await repository.completeFlow(code, after.flowId, { status: 'ready', now: '2026-10-01T00:00:00.000Z' });
  return code;
}

const scheduledEvent = {
  version: '0',
  id: randomUUID(),
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  time: NOW,
  detail: {},
};

describe('decommission handler', () => {
  const handler = () => decommissionHandler(decommissionFromEnv({ clients, env: env(), clock }));

  it('deletes due tenants on the scheduled run, publishing to the delete bus as system', async () => {
    const code = await readyTenant('2026-11-01');

    const summary = await handler()(scheduledEvent);

    expect(summary).toMatchObject({ date: '2026-11-23', dryRun: false, started: [code], itemsRead: 1 });
    const entries = eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.[0]);
    expect(entries).toEqual([
      expect.objectContaining({
        EventBusName: 'delete-bus',
        Source: EVENT_SOURCE,
        DetailType: 'TenantDeleteRequested',
      }),
    ]);
    expect(JSON.parse(entries[0]?.Detail ?? '{}')).toMatchObject({ tenantCode: code, requestedBy: 'system' });
  });

  it('only reports on { "dryRun": true }', async () => {
    const code = await readyTenant('2026-11-01');
    const before = await tableSnapshot(tables);

    const summary = await handler()({ dryRun: true });

    expect(summary).toMatchObject({ dryRun: true, started: [], wouldStart: [code] });
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(await tableSnapshot(tables)).toEqual(before);
  });

  it('refuses a dryRun that is not a boolean rather than running for real', async () => {
    await readyTenant('2026-11-01');
    const before = await tableSnapshot(tables);

    await expect(handler()({ dryRun: 'true' })).rejects.toBeInstanceOf(ValidationError);
    expect(await tableSnapshot(tables)).toEqual(before);
  });

  it('fails at start naming a missing variable', () => {
    expect(() => decommissionFromEnv({ clients, env: env('DELETE_BUS_NAME') })).toThrow(/DELETE_BUS_NAME/);
  });
});

describe('reconciler handler', () => {
  it("clears a dead execution's claim and republishes on the action's bus", async () => {
    const code = await readyTenant();
    const flowId = randomUUID();
    await repository.transition({
      tenantCode: code,
      action: 'update',
      flowId,
      requestedBy: 'api:alice',
      now: '2026-11-23T02:00:00.000Z',
      changes: {},
    });
    const dead = 'arn:aws:states:eu-west-1:123456789012:execution:update:dead';
    await repository.claimFlow(code, flowId, dead);
    sfn.on(DescribeExecutionCommand, { executionArn: dead }).resolves({ status: 'ABORTED' });
    const handler = reconcilerHandler(reconcilerFromEnv({ clients, env: env(), clock }));

    const summary = await handler({});

    expect(summary).toMatchObject({ examined: 1, republished: [code] });
    const entry = eventBridge.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({ EventBusName: 'update-bus', DetailType: 'TenantUpdateRequested' });
    expect(JSON.parse(entry?.Detail ?? '{}')).toEqual({
      tenantCode: code,
      flowId,
      requestedBy: 'api:alice',
      requestedAt: NOW,
    });
  });

  it('reads its ages from the environment and refuses a fail age not above the republish age', () => {
    expect(() =>
      reconcilerFromEnv({
        clients,
        env: { ...env(), RECONCILE_REPUBLISH_AFTER_SECONDS: '900', RECONCILE_FAIL_AFTER_SECONDS: '900' },
      }),
    ).toThrow(ConfigError);
    expect(() =>
      reconcilerFromEnv({ clients, env: { ...env(), RECONCILE_FAIL_AFTER_SECONDS: 'soon' } }),
    ).toThrow(/RECONCILE_FAIL_AFTER_SECONDS/);
    expect(() => reconcilerFromEnv({ clients, env: env('UPDATE_BUS_NAME') })).toThrow(/UPDATE_BUS_NAME/);
  });
});

describe('handler modules', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it.each(['decommission', 'reconciler'])(
    '%s is built once, at import, from the environment',
    async (name) => {
      process.env = { ...saved, ...env(), AWS_REGION: 'eu-west-1' };
      await jest.isolateModulesAsync(async () => {
        const mod = (await import(`../../../../lambdas/handlers/ops/${name}`)) as { handler: unknown };
        expect(typeof mod.handler).toBe('function');
      });

      process.env = { ...saved, AWS_REGION: 'eu-west-1' };
      delete process.env.TABLE_NAME;
      await jest.isolateModulesAsync(async () => {
        await expect(import(`../../../../lambdas/handlers/ops/${name}`)).rejects.toThrow(/TABLE_NAME/);
      });
    },
  );
});
