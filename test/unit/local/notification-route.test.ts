import { request } from 'undici';
import type { RunEnd } from '../../../lambdas/core/flow-state';
import {
  MAX_NOTIFICATION_BODY_BYTES,
  NOTIFICATION_SIGNATURE_HEADER,
  RUN_NOTIFICATION_PATH,
  runNotificationPayload,
} from '../../../lambdas/core/run-notification';
import type { TenantCode } from '../../../lambdas/core/tenant-code';
import { workspaceName } from '../../../lambdas/core/workspace';
import type { TenantApi } from '../../../lambdas/handlers/api/tenant-api';
import { LocalFlowWaker, type LocalWait } from '../../../lambdas/local/flow-waker';
import { startApiServer, type LocalApiServer } from '../../../lambdas/local/http-server';
import { RunNotifications } from '../../../lambdas/use-cases/run-notifications';
import { fixedClock } from '../../support/api';
import { NOW, repositoryFixture } from '../../support/repository';
import { signed, verificationPayload } from '../../support/run-notification-payload';

/**
 * The local server's receiver route over real HTTP, with the DynamoDB Local repository and the local flow
 * waker: what `npm start` serves at RUN_NOTIFICATION_PATH.
 */
const ENVIRONMENT = 'local';
const TOKEN = 'a'.repeat(64);
const { fixture, freshCode, start } = repositoryFixture('notify');

let server: LocalApiServer;
let waker: LocalFlowWaker;
beforeAll(async () => {
  waker = new LocalFlowWaker();
  const receiver = new RunNotifications({
    repository: fixture.repo,
    waker,
    token: () => Promise.resolve(TOKEN),
    environment: ENVIRONMENT,
    clock: fixedClock(NOW),
  });
  // The API is never reached by these requests.
  const api = { registerContext: () => undefined } as Partial<TenantApi> as TenantApi;
  server = await startApiServer(api, {
    host: '127.0.0.1',
    port: 0,
    notifications: (r) => receiver.receive(r),
  });
});
afterAll(() => server.close());

async function post(body: Buffer | string, signature?: string, path = RUN_NOTIFICATION_PATH) {
  const res = await request(`${server.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(signature === undefined ? {} : { [NOTIFICATION_SIGNATURE_HEADER]: signature }),
    },
    body,
  });
  const text = await res.body.text();
  return { status: res.statusCode, body: JSON.parse(text) as Record<string, unknown> };
}

/** Posts a payload signed as TFC signs it. */
function deliver(payload: unknown) {
  const body = Buffer.from(JSON.stringify(payload));
  return post(body, signed(body, TOKEN));
}

function runEvent(code: TenantCode, runId: string, runStatus = 'applied', trigger = 'run:completed') {
  return runNotificationPayload({
    configurationId: 'nc-local',
    runId,
    runUrl: `http://127.0.0.1/tenants/${code}/runs/${runId}/log`,
    workspaceId: workspaceName(ENVIRONMENT, code),
    workspaceName: workspaceName(ENVIRONMENT, code),
    organizationName: 'local',
    trigger,
    runStatus,
    message: 'Run Applied',
    createdAt: NOW,
    updatedAt: NOW,
  });
}

/** A tenant being created whose flow started `runId` and waits for its end on the local waker. */
async function waitingTenant(runId: string): Promise<{ code: TenantCode; wait: LocalWait }> {
  const code = freshCode();
  const { after } = await start(code, 'create');
  await fixture.repo.recordProgress(code, after.flowId, { workspaceId: 'ws-1', runId }, NOW);
  const wait = waker.open();
  expect(await fixture.repo.recordRunWaiter(code, after.flowId, runId, wait.token, NOW)).toBe(true);
  return { code, wait };
}

/** Whether the wait was woken, without waiting for it. */
async function wokenNow(wait: LocalWait): Promise<RunEnd | 'waiting'> {
  return Promise.race([wait.woken, new Promise<'waiting'>((r) => setImmediate(() => r('waiting')))]);
}

const VERIFICATION = verificationPayload('nc-local', 'tenants');

describe(`local receiver route POST ${RUN_NOTIFICATION_PATH}`, () => {
  it('answers the verification request 200', async () => {
    expect(await deliver(VERIFICATION)).toEqual({ status: 200, body: { status: 'verified' } });
  });

  it('refuses a missing signature 401', async () => {
    const res = await post(JSON.stringify(VERIFICATION));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: 'MISSING_SIGNATURE' } });
  });

  it('refuses a signature made with another token 401', async () => {
    const body = Buffer.from(JSON.stringify(VERIFICATION));
    const res = await post(body, signed(body, 'b'.repeat(64)));
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: { code: 'INVALID_SIGNATURE' } });
  });

  it('refuses a body over the cap 400, unread', async () => {
    const body = Buffer.alloc(MAX_NOTIFICATION_BODY_BYTES * 2, 'x');
    const res = await post(body, signed(body, TOKEN));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('refuses a signed body that is not JSON, or not a notification, 400', async () => {
    const notJson = Buffer.from('{"payload_version":');
    expect((await post(notJson, signed(notJson, TOKEN))).status).toBe(400);
    const res = await deliver({ ...VERIFICATION, payload_version: 2 });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'VALIDATION_ERROR' } });
  });

  it('answers other methods 405', async () => {
    const res = await request(`${server.url}${RUN_NOTIFICATION_PATH}`, { method: 'GET' });
    expect(res.statusCode).toBe(405);
    await res.body.dump();
  });

  it('answers a run no flow waits for 200 and wakes nothing', async () => {
    const { code, wait } = await waitingTenant('run-waiting');
    const before = await fixture.repo.getRunWaiter(code);
    const res = await deliver(runEvent(code, 'run-other'));
    expect(res).toEqual({ status: 200, body: { status: 'ignored', reason: 'no flow waits for this run' } });
    expect(await wokenNow(wait)).toBe('waiting');
    expect(await fixture.repo.getRunWaiter(code)).toEqual(before);
    wait.close();
  });

  it('wakes the flow waiting for the run, once; a repeated delivery finds it already woken', async () => {
    const { code, wait } = await waitingTenant('run-ends');
    const payload = runEvent(code, 'run-ends');
    expect(await deliver(payload)).toEqual({ status: 200, body: { status: 'woken' } });
    expect(await wait.woken).toEqual({
      runId: 'run-ends',
      runStatus: 'applied',
      outcome: 'succeeded',
      via: 'notification',
      at: NOW,
    });
    expect(await deliver(payload)).toEqual({ status: 200, body: { status: 'already-woken' } });
  });
});
