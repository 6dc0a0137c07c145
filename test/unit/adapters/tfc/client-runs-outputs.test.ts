import {
  ConfigurationVersionMissingError,
  TfcRetriesExhaustedError,
} from '../../../../lambdas/adapters/tfc/errors';
import { JSON_API_HEADERS, errorDoc, harness, outputResource, recordBody, runResource } from './fixtures';

const WS_ID = 'ws-LLGHCr4SWy28wyGN';
const RUN_ID = 'run-CZcmD7eagjhyX0vN';
const OUTPUTS_PATH = `/api/v2/workspaces/${WS_ID}/current-state-version-outputs?page%5Bnumber%5D=1&page%5Bsize%5D=100`;

let h: ReturnType<typeof harness>;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  h.agent.assertNoPendingInterceptors();
  await h.agent.close();
});

describe('TfcClient runs: a run that waits for a person', () => {
  it('reads actions.is-confirmable (run.mdx "Get run details")', async () => {
    h.api.intercept({ path: `/api/v2/runs/${RUN_ID}`, method: 'GET' }).reply(
      200,
      { data: runResource({ status: 'planned', isConfirmable: true }) },
      {
        headers: JSON_API_HEADERS,
      },
    );

    expect(await h.client.getRun(RUN_ID)).toMatchObject({ status: 'planned', isConfirmable: true });
  });

  it('discards it with a comment (run.mdx "Discard a Run": 202)', async () => {
    const bodies: unknown[] = [];
    h.api
      .intercept({ path: `/api/v2/runs/${RUN_ID}/actions/discard`, method: 'POST' })
      .reply(recordBody(bodies, 202));

    expect(await h.client.runs.discard(RUN_ID, 'not waiting for a person')).toBe(true);
    expect(bodies).toEqual([{ comment: 'not waiting for a person' }]);
  });

  it('takes 409 (no longer paused: already discarded or finished) as nothing left to discard', async () => {
    h.api
      .intercept({ path: `/api/v2/runs/${RUN_ID}/actions/discard`, method: 'POST' })
      .reply(409, errorDoc('409', 'transition not allowed', 'Run is not paused'), {
        headers: JSON_API_HEADERS,
      });

    expect(await h.client.runs.discard(RUN_ID, 'again')).toBe(false);
  });

  it('retries a 5xx discard: repeating it is harmless', async () => {
    h.api.intercept({ path: `/api/v2/runs/${RUN_ID}/actions/discard`, method: 'POST' }).reply(502, '');
    h.api.intercept({ path: `/api/v2/runs/${RUN_ID}/actions/discard`, method: 'POST' }).reply(202, '');

    expect(await h.client.runs.discard(RUN_ID, 'retry')).toBe(true);
  });
});

describe('TfcClient.createRun with run-specific variables', () => {
  it('sends each value as an HCL string literal (run.mdx "Create a Run")', async () => {
    const bodies: unknown[] = [];
    h.api
      .intercept({ path: '/api/v2/runs', method: 'POST' })
      .reply(recordBody(bodies, 201, { data: runResource() }));

    await h.client.createRun(WS_ID, {
      isDestroy: false,
      message: 'm',
      variables: { region: 'eu-west-1', motd: 'say "hi" ${var.x} %{ if 1 }' },
    });

    expect(bodies).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          attributes: expect.objectContaining({
            variables: [
              { key: 'region', value: '"eu-west-1"' },
              { key: 'motd', value: '"say \\"hi\\" $${var.x} %%{ if 1 }"' },
            ],
          }) as unknown,
        }) as unknown,
      }),
    ]);
  });
});

describe('TfcClient.getCurrentOutputs pagination', () => {
  it('reads every page (state-version-outputs.mdx is paginated)', async () => {
    const page = (n: number, next: number | null, names: string[]) => ({
      data: names.map((name, i) => outputResource(`wsout-${n}-${i}`, name, `${name}-value`, false)),
      meta: { pagination: { 'current-page': n, 'next-page': next, 'total-pages': 2, 'total-count': 3 } },
    });
    const base = `/api/v2/workspaces/${WS_ID}/current-state-version-outputs`;
    h.api
      .intercept({ path: `${base}?page%5Bnumber%5D=1&page%5Bsize%5D=100`, method: 'GET' })
      .reply(200, page(1, 2, ['a', 'b']), { headers: JSON_API_HEADERS });
    h.api
      .intercept({ path: `${base}?page%5Bnumber%5D=2&page%5Bsize%5D=100`, method: 'GET' })
      .reply(200, page(2, null, ['c']), { headers: JSON_API_HEADERS });

    const outputs = await h.client.getCurrentOutputs(WS_ID);

    expect(outputs.values).toEqual({ a: 'a-value', b: 'b-value', c: 'c-value' });
  });
});

describe('TfcClient.createRun', () => {
  it('queues an auto-applied run on the given configuration version', async () => {
    const bodies: unknown[] = [];
    h.api
      .intercept({ path: '/api/v2/runs', method: 'POST' })
      .reply(recordBody(bodies, 201, { data: runResource({ isDestroy: true, message: 'tcp flow f-1' }) }));

    const run = await h.client.createRun(WS_ID, {
      configurationVersionId: 'cv-n4XQPBa2QnecZJ4G',
      isDestroy: true,
      message: 'tcp flow f-1',
    });

    expect(bodies).toEqual([
      {
        data: {
          type: 'runs',
          attributes: { message: 'tcp flow f-1', 'is-destroy': true, 'auto-apply': true },
          relationships: {
            workspace: { data: { type: 'workspaces', id: WS_ID } },
            'configuration-version': { data: { type: 'configuration-versions', id: 'cv-n4XQPBa2QnecZJ4G' } },
          },
        },
      },
    ]);
    expect(run).toEqual({
      id: RUN_ID,
      status: 'pending',
      message: 'tcp flow f-1',
      isDestroy: true,
      hasChanges: false,
      createdAt: '2021-05-24T07:38:04.171Z',
      statusTimestamps: { 'plan-queueable-at': '2021-05-24T07:38:04+00:00' },
      isConfirmable: false,
    });
  });

  it('maps 422 "Configuration version is missing" to ConfigurationVersionMissingError', async () => {
    h.api
      .intercept({ path: '/api/v2/runs', method: 'POST' })
      .reply(422, errorDoc('422', 'invalid attribute', 'Configuration version is missing'), {
        headers: JSON_API_HEADERS,
      });

    const promise = h.client.createRun(WS_ID, { isDestroy: false, message: 'm' });

    await expect(promise).rejects.toThrow(ConfigurationVersionMissingError);
    await expect(promise).rejects.toMatchObject({ status: 422, retryable: false });
  });
});

describe('TfcClient.getRun', () => {
  it('reads status, message, destroy flag, changes and timestamps', async () => {
    h.api
      .intercept({ path: `/api/v2/runs/${RUN_ID}`, method: 'GET' })
      .reply(
        200,
        { data: runResource({ status: 'applied', hasChanges: true }) },
        { headers: JSON_API_HEADERS },
      );

    await expect(h.client.getRun(RUN_ID)).resolves.toMatchObject({
      id: RUN_ID,
      status: 'applied',
      isDestroy: false,
      hasChanges: true,
    });
  });
});

describe('TfcClient.findRunByMessage', () => {
  const listPath = `/api/v2/workspaces/${WS_ID}/runs`;

  it('finds the newest run whose message contains the needle', async () => {
    h.api.intercept({ path: listPath, method: 'GET', query: { 'search[basic]': 'flow-42' } }).reply(
      200,
      {
        data: [
          runResource({ id: 'run-other', message: 'Queued manually via the Terraform Enterprise API' }),
          runResource({ id: 'run-mine', message: 'tenant-control-plane flow-42', status: 'planning' }),
          runResource({ id: 'run-older', message: 'tenant-control-plane flow-42' }),
        ],
      },
      { headers: JSON_API_HEADERS },
    );

    await expect(h.client.findRunByMessage(WS_ID, 'flow-42')).resolves.toMatchObject({
      id: 'run-mine',
      status: 'planning',
    });
  });

  it('returns undefined when no run matches', async () => {
    h.api
      .intercept({ path: listPath, method: 'GET', query: { 'search[basic]': 'flow-43' } })
      .reply(200, { data: [] }, { headers: JSON_API_HEADERS });

    await expect(h.client.findRunByMessage(WS_ID, 'flow-43')).resolves.toBeUndefined();
  });
});

describe('TfcClient.getCurrentOutputs', () => {
  it('keeps non-sensitive values and only the names of sensitive outputs', async () => {
    h.api.intercept({ path: OUTPUTS_PATH, method: 'GET' }).reply(
      200,
      {
        data: [
          outputResource('wsout-J2zM24JPFbfc7bE5', 'flavor', 'Peanut Butter', false),
          outputResource('wsout-FLzM23Gcd5f37bE5', 'recipe', null, true),
        ],
      },
      { headers: JSON_API_HEADERS },
    );

    await expect(h.client.getCurrentOutputs(WS_ID)).resolves.toEqual({
      values: { flavor: 'Peanut Butter' },
      sensitive: ['recipe'],
    });
  });

  it('drops a sensitive value even if TFC sends one (as in the docs sample)', async () => {
    h.api.intercept({ path: OUTPUTS_PATH, method: 'GET' }).reply(
      200,
      {
        data: [outputResource('wsout-FLzM23Gcd5f37bE5', 'recipe', "Don Douglas' Peanut Butter Frenzy", true)],
      },
      { headers: JSON_API_HEADERS },
    );

    const outputs = await h.client.getCurrentOutputs(WS_ID);

    expect(outputs).toEqual({ values: {}, sensitive: ['recipe'] });
    expect(JSON.stringify(outputs)).not.toContain('Frenzy');
    expect(JSON.stringify(h.logs)).not.toContain('Frenzy');
  });

  it('retries while outputs are still processing (503), then returns them', async () => {
    h.api
      .intercept({ path: OUTPUTS_PATH, method: 'GET' })
      .reply(503, errorDoc('503', 'Service Unavailable', 'State version outputs are being processed'), {
        headers: JSON_API_HEADERS,
      })
      .times(2);
    h.api
      .intercept({ path: OUTPUTS_PATH, method: 'GET' })
      .reply(
        200,
        { data: [outputResource('wsout-1', 'bucket', 'acme-bucket', false)] },
        { headers: JSON_API_HEADERS },
      );

    await expect(h.client.getCurrentOutputs(WS_ID)).resolves.toEqual({
      values: { bucket: 'acme-bucket' },
      sensitive: [],
    });
    expect(h.sleeps).toHaveLength(2);
  });

  it('gives up on outputs that stay unavailable with a retryable error', async () => {
    h.api.intercept({ path: OUTPUTS_PATH, method: 'GET' }).reply(503, '').times(4);

    const promise = h.client.getCurrentOutputs(WS_ID);

    await expect(promise).rejects.toThrow(TfcRetriesExhaustedError);
    await expect(promise).rejects.toMatchObject({ retryable: true, lastStatus: 503 });
  });

  it('keeps an output named like an Object prototype key as plain data', async () => {
    h.api
      .intercept({ path: OUTPUTS_PATH, method: 'GET' })
      .reply(
        200,
        { data: [outputResource('wsout-2', '__proto__', 'x', false)] },
        { headers: JSON_API_HEADERS },
      );

    const outputs = await h.client.getCurrentOutputs(WS_ID);

    expect(Object.keys(outputs.values)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(outputs.values)).toBe(Object.prototype);
  });
});
