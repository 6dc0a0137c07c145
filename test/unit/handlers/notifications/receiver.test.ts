import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendTaskSuccessCommand, SFNClient, TaskTimedOut } from '@aws-sdk/client-sfn';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { LambdaFunctionURLEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import {
  NOTIFICATION_SIGNATURE_HEADER,
  RUN_NOTIFICATION_PATH,
  runNotificationPayload,
} from '../../../../lambdas/core/run-notification';
import { NOTIFICATION_SIGNATURE_REJECTED_METRIC } from '../../../../lambdas/core/telemetry';
import type { TenantCode } from '../../../../lambdas/core/tenant-code';
import { workspaceName } from '../../../../lambdas/core/workspace';
import { NOTIFICATION_RECEIVER_VARS } from '../../../../lambdas/handlers/notifications/contract';
import { receiverHandler, runNotificationsFromEnv } from '../../../../lambdas/handlers/notifications/wiring';
import { ConfigError } from '../../../../lambdas/shared/config';
import { metrics } from '../../../../lambdas/shared/observability';
import { fixedClock } from '../../../support/api';
import { NOW, repositoryFixture } from '../../../support/repository';
import { signed, verificationPayload } from '../../../support/run-notification-payload';

/**
 * The receiver function end to end but for AWS: a function URL event in, the real wiring over DynamoDB
 * Local, Secrets Manager and Step Functions mocked at the SDK.
 */
const TOKEN = 'f'.repeat(64);
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tfc-notification-token';
const ENVIRONMENT = 'dev';
const secretsManager = mockClient(SecretsManagerClient);
const sfn = mockClient(SFNClient);
const { fixture, freshCode, start } = repositoryFixture('receiver');

function env() {
  return {
    TABLE_NAME: fixture.tables.tenantTable,
    ENVIRONMENT_NAME: ENVIRONMENT,
    TFC_NOTIFICATION_TOKEN_SECRET_ARN: SECRET_ARN,
  };
}

function handler() {
  return receiverHandler(
    runNotificationsFromEnv({
      env: env(),
      clock: fixedClock(NOW),
      clients: {
        doc: fixture.tables.doc,
        secretsManager: new SecretsManagerClient({ region: 'eu-west-1' }),
        sfn: new SFNClient({ region: 'eu-west-1' }),
      },
    }),
  );
}

/** A function URL request (payload format 2.0), as Lambda delivers it. */
function urlEvent(
  body: string | undefined,
  options: { signature?: string; base64?: boolean; path?: string; method?: string } = {},
): LambdaFunctionURLEvent {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: options.path ?? RUN_NOTIFICATION_PATH,
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      ...(options.signature === undefined ? {} : { [NOTIFICATION_SIGNATURE_HEADER]: options.signature }),
    },
    requestContext: {
      accountId: 'anonymous',
      apiId: 'abc',
      domainName: 'abc.lambda-url.eu-west-1.on.aws',
      domainPrefix: 'abc',
      http: {
        method: options.method ?? 'POST',
        path: options.path ?? RUN_NOTIFICATION_PATH,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'HashiCorp',
      },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '02/Dec/2026:10:00:00 +0000',
      timeEpoch: 0,
    },
    isBase64Encoded: options.base64 ?? false,
    ...(body === undefined ? {} : { body: options.base64 ? Buffer.from(body).toString('base64') : body }),
  };
}

function signedEvent(payload: unknown, options: { base64?: boolean; path?: string } = {}) {
  const body = JSON.stringify(payload);
  return urlEvent(body, { ...options, signature: signed(body, TOKEN) });
}

function runEvent(code: TenantCode, runId: string) {
  return runNotificationPayload({
    configurationId: 'nc-1',
    runId,
    runUrl: `https://app.terraform.io/app/acme/workspaces/${workspaceName(ENVIRONMENT, code)}/runs/${runId}`,
    workspaceId: 'ws-1',
    workspaceName: workspaceName(ENVIRONMENT, code),
    organizationName: 'acme',
    trigger: 'run:errored',
    runStatus: 'errored',
    message: 'Run Errored',
    createdAt: NOW,
    updatedAt: NOW,
  });
}

const VERIFICATION = verificationPayload('nc-1', 'tenants');

function bodyOf(result: { body?: string }) {
  return JSON.parse(result.body ?? '') as Record<string, unknown>;
}

beforeEach(() => {
  secretsManager.reset();
  sfn.reset();
  secretsManager.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: TOKEN });
  sfn.on(SendTaskSuccessCommand).resolves({});
});
afterEach(() => jest.restoreAllMocks());

describe('run notification receiver function', () => {
  it('answers the verification request 200, at the root and at RUN_NOTIFICATION_PATH', async () => {
    const receive = handler();
    for (const path of ['/', RUN_NOTIFICATION_PATH, `${RUN_NOTIFICATION_PATH}/`]) {
      const result = await receive(signedEvent(VERIFICATION, { path }));
      expect({ path, statusCode: result.statusCode }).toEqual({ path, statusCode: 200 });
      expect(bodyOf(result)).toEqual({ status: 'verified' });
    }
  });

  it('decodes a base64 body before it checks the signature', async () => {
    const result = await handler()(signedEvent(VERIFICATION, { base64: true }));
    expect(result.statusCode).toBe(200);
  });

  it('refuses a missing or wrong signature 401 and counts each for the alarm, without reading the body', async () => {
    const addMetric = jest.spyOn(metrics, 'addMetric');
    const receive = handler();
    const body = JSON.stringify(VERIFICATION);
    const missing = await receive(urlEvent(body));
    const wrong = await receive(urlEvent(body, { signature: signed(body, 'another-token') }));
    expect([missing.statusCode, wrong.statusCode]).toEqual([401, 401]);
    expect(bodyOf(wrong)).toMatchObject({ error: { code: 'INVALID_SIGNATURE' } });
    expect(addMetric.mock.calls).toEqual([
      [NOTIFICATION_SIGNATURE_REJECTED_METRIC, MetricUnit.Count, 1],
      [NOTIFICATION_SIGNATURE_REJECTED_METRIC, MetricUnit.Count, 1],
    ]);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses other paths 404, other methods 405 and a signed malformed body 400', async () => {
    const receive = handler();
    expect((await receive(signedEvent(VERIFICATION, { path: '/other' }))).statusCode).toBe(404);
    expect((await receive(urlEvent(undefined, { method: 'GET' }))).statusCode).toBe(405);
    const notJson = '{"payload_version":';
    expect((await receive(urlEvent(notJson, { signature: signed(notJson, TOKEN) }))).statusCode).toBe(400);
  });

  it('answers 503 when the token cannot be read, and never shows it', async () => {
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).rejects(new Error('AccessDenied'));
    const result = await handler()(signedEvent(VERIFICATION));
    expect(result.statusCode).toBe(503);
    expect(result.body).not.toContain(TOKEN);
  });

  it('wakes the waiting flow through SendTaskSuccess with the run end; a spent token answers already-woken', async () => {
    const code = freshCode();
    const { after } = await start(code, 'create');
    await fixture.repo.recordProgress(code, after.flowId, { workspaceId: 'ws-1', runId: 'run-9' }, NOW);
    await fixture.repo.recordRunWaiter(code, after.flowId, 'run-9', 'task-token-9', NOW);
    const receive = handler();

    const first = await receive(signedEvent(runEvent(code, 'run-9')));
    expect({ status: first.statusCode, body: bodyOf(first) }).toEqual({
      status: 200,
      body: { status: 'woken' },
    });
    const sent = sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input);
    expect(sent).toEqual([
      {
        taskToken: 'task-token-9',
        output: JSON.stringify({
          runId: 'run-9',
          runStatus: 'errored',
          via: 'notification',
          at: NOW,
          outcome: 'failed',
        }),
      },
    ]);

    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'spent', $metadata: {} }));
    const again = await receive(signedEvent(runEvent(code, 'run-9')));
    expect(bodyOf(again)).toEqual({ status: 'already-woken' });
  });

  it('ignores a run no flow waits for: 200, no callback', async () => {
    const code = freshCode();
    await start(code, 'create');
    const result = await handler()(signedEvent(runEvent(code, 'run-unknown')));
    expect(bodyOf(result)).toEqual({ status: 'ignored', reason: 'no flow waits for this run' });
    expect(sfn.calls()).toHaveLength(0);
  });

  it('names each missing variable at cold start', () => {
    expect(() => runNotificationsFromEnv({ env: {} })).toThrow(ConfigError);
    for (const v of Object.values(NOTIFICATION_RECEIVER_VARS)) {
      expect(() => runNotificationsFromEnv({ env: {} })).toThrow(v.name);
    }
  });
});
