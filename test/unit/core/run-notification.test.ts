import { createHmac } from 'node:crypto';
import {
  isVerification,
  runEndOf,
  RunNotificationPayloadSchema,
  runNotificationPayload,
  signNotification,
  verifySignature,
  type RunNotificationPayload,
} from '../../../lambdas/core/run-notification';
import { tenantCodeOfWorkspace } from '../../../lambdas/core/workspace';
import { verificationPayload } from '../../support/run-notification-payload';

const TOKEN = 'notification-token';
const AT = '2026-12-02T07:00:00.000Z';

/** The documented sample payload (notification-configurations.mdx, "Sample Payload"). */
const SAMPLE = {
  payload_version: 1,
  notification_configuration_id: 'nc-AeUQ2zfKZzW9TiGZ',
  run_url: 'https://app.terraform.io/app/acme-org/my-workspace/runs/run-FwnENkvDnrpyFC7M',
  run_id: 'run-FwnENkvDnrpyFC7M',
  run_message: 'Add five new queue workers',
  run_created_at: '2019-01-25T18:34:00.000Z',
  run_created_by: 'sample-user',
  workspace_id: 'ws-XdeUVMWShTesDMME',
  workspace_name: 'my-workspace',
  organization_name: 'acme-org',
  notifications: [
    {
      message: 'Run Canceled',
      trigger: 'run:errored',
      run_status: 'canceled',
      run_updated_at: '2019-01-25T18:37:04.000Z',
      run_updated_by: 'sample-user',
    },
  ],
};

/** The verification request as TFC sends it: run and workspace fields null, trigger `verification`. */
const VERIFICATION = verificationPayload('nc-ygBmbbQWJZAWMse7', 'tenant control plane');

function event(trigger: string, runStatus: string | null): RunNotificationPayload {
  return RunNotificationPayloadSchema.parse({
    ...SAMPLE,
    notifications: [{ ...SAMPLE.notifications[0], trigger, run_status: runStatus }],
  });
}

describe('verifySignature', () => {
  const body = Buffer.from(JSON.stringify(SAMPLE));
  const good = createHmac('sha512', TOKEN).update(body).digest('hex');

  it('accepts the hex HMAC-SHA512 of the raw body under the token', () => {
    expect(signNotification(body, TOKEN)).toBe(good);
    expect(verifySignature(body, good, TOKEN)).toBe(true);
    expect(verifySignature(body, good.toUpperCase(), TOKEN)).toBe(true);
  });

  it('refuses another token, another body, one changed byte', () => {
    expect(verifySignature(body, good, 'other-token')).toBe(false);
    expect(verifySignature(Buffer.from(`${body.toString()} `), good, TOKEN)).toBe(false);
    const flipped = `${good.slice(0, -1)}${good.endsWith('0') ? '1' : '0'}`;
    expect(verifySignature(body, flipped, TOKEN)).toBe(false);
  });

  it.each([
    ['missing', undefined],
    ['empty (a configuration without a token)', ''],
    ['too short', good.slice(0, 64)],
    ['too long', `${good}00`],
    ['not hex', 'z'.repeat(128)],
    ['base64 of the digest', createHmac('sha512', TOKEN).update(body).digest('base64')],
    ['SHA-256 instead of SHA-512', createHmac('sha256', TOKEN).update(body).digest('hex')],
  ])('a %s header is false, without throwing', (_name, header) => {
    expect(() => verifySignature(body, header, TOKEN)).not.toThrow();
    expect(verifySignature(body, header, TOKEN)).toBe(false);
  });
});

describe('RunNotificationPayloadSchema', () => {
  it('parses the documented sample and the verification request', () => {
    expect(RunNotificationPayloadSchema.parse(SAMPLE)).toEqual(SAMPLE);
    const verification = RunNotificationPayloadSchema.parse(VERIFICATION);
    expect(isVerification(verification)).toBe(true);
    expect(isVerification(RunNotificationPayloadSchema.parse(SAMPLE))).toBe(false);
  });

  it('drops fields TFC may add later', () => {
    const parsed = RunNotificationPayloadSchema.parse({ ...SAMPLE, run_tags: ['x'] });
    expect(parsed).not.toHaveProperty('run_tags');
  });

  it.each([
    ['another payload version (workspace events are version 2)', { payload_version: '2' }],
    ['no notifications', { notifications: [] }],
    ['a run event without its run id', { run_id: null }],
    ['a run event without its workspace name', { workspace_name: null }],
    ['a notification without a trigger', { notifications: [{ ...SAMPLE.notifications[0], trigger: '' }] }],
    ['a missing documented field', { run_url: undefined }],
    ['a wrong type', { run_id: 42 }],
  ])('refuses %s', (_name, change) => {
    expect(RunNotificationPayloadSchema.safeParse({ ...SAMPLE, ...change }).success).toBe(false);
  });

  it('builds the payload the local runner sends, which the schema accepts', () => {
    const payload = runNotificationPayload({
      configurationId: 'nc-local',
      runId: 'run-1',
      runUrl: 'http://127.0.0.1/runs/run-1',
      workspaceId: 'tenant-local-acme',
      workspaceName: 'tenant-local-acme',
      organizationName: 'local',
      trigger: 'run:completed',
      runStatus: 'applied',
      message: 'Run Applied',
      createdAt: AT,
      updatedAt: AT,
    });
    expect(RunNotificationPayloadSchema.parse(payload)).toEqual(payload);
  });
});

describe('runEndOf', () => {
  it.each([
    ['run:completed', 'applied', 'succeeded'],
    ['run:completed', 'planned_and_finished', 'succeeded'],
    ['run:errored', 'errored', 'failed'],
    ['run:errored', 'canceled', 'failed'],
    ['run:errored', 'force_canceled', 'failed'],
    ['run:errored', 'discarded', 'failed'],
    ['run:errored', 'policy_soft_failed', 'failed'],
  ] as const)('%s with %s is %s', (trigger, status, outcome) => {
    expect(runEndOf(event(trigger, status), AT)).toEqual({
      runId: SAMPLE.run_id,
      runStatus: status,
      outcome,
      via: 'notification',
      at: AT,
    });
  });

  it.each(['planned', 'policy_override', 'post_plan_awaiting_decision', 'cost_estimated'])(
    'run:needs_attention is needs-attention whatever the status (%s)',
    (status) => {
      expect(runEndOf(event('run:needs_attention', status), AT)).toMatchObject({
        runStatus: status,
        outcome: 'needs-attention',
      });
    },
  );

  it.each([
    ['run:applying', 'applying'],
    ['run:planning', 'planning'],
    ['run:created', 'pending'],
    ['run:completed', 'a_status_tfc_adds_later'],
  ])('a running run wakes nothing (%s, %s)', (trigger, status) => {
    expect(runEndOf(event(trigger, status), AT)).toBeUndefined();
  });

  it('the verification request wakes nothing', () => {
    expect(runEndOf(RunNotificationPayloadSchema.parse(VERIFICATION), AT)).toBeUndefined();
  });

  it('reads the latest event when TFC rolls several up', () => {
    const payload = RunNotificationPayloadSchema.parse({
      ...SAMPLE,
      notifications: [
        { ...SAMPLE.notifications[0], trigger: 'run:needs_attention', run_status: 'planned' },
        { ...SAMPLE.notifications[0], trigger: 'run:completed', run_status: 'applied' },
      ],
    });
    expect(runEndOf(payload, AT)).toMatchObject({ outcome: 'succeeded', runStatus: 'applied' });
  });
});

describe('tenantCodeOfWorkspace', () => {
  it.each([
    ['tenant-dev-acme', 'acme'],
    ['tenant-dev-acme-2', 'acme-2'],
  ])('%s is tenant %s of dev', (name, code) => {
    expect(tenantCodeOfWorkspace('dev', name)).toBe(code);
  });

  it.each([
    'tenant-prod-acme',
    'tenant-devx-acme',
    'tenant-dev-',
    'tenant-dev-ab',
    'tenant-dev-Acme',
    'tenant-dev-acme/../x',
    'control-plane-dev-modules',
    'my-workspace',
  ])('%s is no tenant of dev', (name) => {
    expect(tenantCodeOfWorkspace('dev', name)).toBeUndefined();
  });
});
