import {
  ConfigurationVersionErroredError,
  ConfigurationVersionTimeoutError,
  TfcRetriesExhaustedError,
} from '../../../../lambdas/adapters/tfc/errors';
import { Headers } from 'undici';
import { MODULE_MARKER_VARIABLE } from '../../../../lambdas/adapters/tfc/client';
import {
  JSON_API_HEADERS,
  TOKEN,
  UPLOAD_ORIGIN,
  UPLOAD_PATH,
  configurationVersionDoc,
  createdConfigurationVersionDoc,
  harness,
  recordBody,
  varDoc,
  varsDoc,
  workspaceDoc,
  type VarFixture,
} from './fixtures';

const WS_ID = 'ws-2Qhk7LHgbMrm3grF';
const CV_OLD = 'cv-ntv3HbhJqvFzamy7';
const CV_NEW = 'cv-UYwHEakurukz85nW';
const HASH = 'sha256:1f2e3d';
const TARBALL = Buffer.from('pretend this is a .tar.gz');

let h: ReturnType<typeof harness>;
beforeEach(() => {
  h = harness({ configurationVersionPoll: { attempts: 3, intervalMs: 500 } });
});
afterEach(async () => {
  h.agent.assertNoPendingInterceptors();
  await h.agent.close();
});

const marker = (cv: string, hash: string): VarFixture => ({
  id: 'var-marker0000000001',
  key: MODULE_MARKER_VARIABLE,
  value: JSON.stringify({ configurationVersionId: cv, contentHash: hash }),
  category: 'env',
  description: 'Set by tenant-control-plane: configuration version uploaded for this module hash.',
});

function replyWorkspace(currentCv: string | null, vars: VarFixture[]): void {
  h.api
    .intercept({ path: `/api/v2/workspaces/${WS_ID}`, method: 'GET' })
    .reply(200, workspaceDoc({ id: WS_ID, currentConfigurationVersionId: currentCv }), {
      headers: JSON_API_HEADERS,
    });
  h.api
    .intercept({ path: `/api/v2/workspaces/${WS_ID}/vars`, method: 'GET' })
    .reply(200, varsDoc(WS_ID, vars), { headers: JSON_API_HEADERS });
}

function replyCvStatus(id: string, ...statuses: string[]): void {
  for (const status of statuses) {
    h.api
      .intercept({ path: `/api/v2/configuration-versions/${id}`, method: 'GET' })
      .reply(200, configurationVersionDoc(id, status), { headers: JSON_API_HEADERS });
  }
}

interface Upload {
  headers: Record<string, string>;
  body: string;
}

function expectCreateAndUpload(creations: unknown[], uploads: Upload[]): void {
  h.api
    .intercept({ path: `/api/v2/workspaces/${WS_ID}/configuration-versions`, method: 'POST' })
    .reply(recordBody(creations, 201, createdConfigurationVersionDoc(CV_NEW)));
  h.agent
    .get(UPLOAD_ORIGIN)
    .intercept({ path: UPLOAD_PATH, method: 'PUT' })
    .reply((opts) => {
      uploads.push({
        headers: Object.fromEntries(new Headers(opts.headers as Record<string, string>)),
        body: Buffer.from(opts.body as Uint8Array).toString(),
      });
      return { statusCode: 200, data: '' };
    });
}

describe('TfcClient.ensureConfigurationVersion', () => {
  it('uploads the module to a new configuration version and waits until it is uploaded', async () => {
    replyWorkspace(null, []);
    const creations: unknown[] = [];
    const uploads: Upload[] = [];
    expectCreateAndUpload(creations, uploads);
    replyCvStatus(CV_NEW, 'pending', 'uploaded');
    const markers: unknown[] = [];
    h.api
      .intercept({ path: `/api/v2/workspaces/${WS_ID}/vars`, method: 'POST' })
      .reply(recordBody(markers, 201, varDoc(WS_ID, marker(CV_NEW, HASH))));

    const result = await h.client.ensureConfigurationVersion(WS_ID, TARBALL, HASH);

    expect(result).toEqual({ id: CV_NEW, reused: false });
    expect(creations).toEqual([
      { data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': false } } },
    ]);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]?.headers['content-type']).toBe('application/octet-stream');
    expect(uploads[0]?.headers).not.toHaveProperty('authorization');
    expect(JSON.stringify(uploads)).not.toContain(TOKEN);
    expect(uploads[0]?.body).toBe(TARBALL.toString());
    expect(h.sleeps).toEqual([500]);
    expect(markers).toEqual([
      {
        data: {
          type: 'vars',
          attributes: {
            key: MODULE_MARKER_VARIABLE,
            value: JSON.stringify({ configurationVersionId: CV_NEW, contentHash: HASH }),
            category: 'env',
            hcl: false,
            sensitive: false,
            description: 'Set by tenant-control-plane: configuration version uploaded for this module hash.',
          },
        },
      },
    ]);
  });

  it('reuses the current configuration version when it was uploaded for the same hash', async () => {
    replyWorkspace(CV_OLD, [marker(CV_OLD, HASH)]);
    replyCvStatus(CV_OLD, 'uploaded');

    const result = await h.client.ensureConfigurationVersion(WS_ID, TARBALL, HASH);

    expect(result).toEqual({ id: CV_OLD, reused: true });
  });

  it('uploads again when the hash changed, and moves the marker', async () => {
    replyWorkspace(CV_OLD, [marker(CV_OLD, 'sha256:0ld')]);
    expectCreateAndUpload([], []);
    replyCvStatus(CV_NEW, 'uploaded');
    const patches: unknown[] = [];
    h.api
      .intercept({ path: `/api/v2/workspaces/${WS_ID}/vars/var-marker0000000001`, method: 'PATCH' })
      .reply(recordBody(patches, 200, varDoc(WS_ID, marker(CV_NEW, HASH))));

    const result = await h.client.ensureConfigurationVersion(WS_ID, TARBALL, HASH);

    expect(result).toEqual({ id: CV_NEW, reused: false });
    expect(patches).toEqual([
      {
        data: {
          type: 'vars',
          id: 'var-marker0000000001',
          attributes: {
            value: JSON.stringify({ configurationVersionId: CV_NEW, contentHash: HASH }),
            hcl: false,
            description: 'Set by tenant-control-plane: configuration version uploaded for this module hash.',
          },
        },
      },
    ]);
  });

  it('uploads again when the marked version is no longer current (someone uploaded another)', async () => {
    replyWorkspace('cv-someoneElse000001', [marker(CV_OLD, HASH)]);
    expectCreateAndUpload([], []);
    replyCvStatus(CV_NEW, 'uploaded');
    h.api
      .intercept({ path: `/api/v2/workspaces/${WS_ID}/vars/var-marker0000000001`, method: 'PATCH' })
      .reply(200, varDoc(WS_ID, marker(CV_NEW, HASH)), { headers: JSON_API_HEADERS });

    await expect(h.client.ensureConfigurationVersion(WS_ID, TARBALL, HASH)).resolves.toEqual({
      id: CV_NEW,
      reused: false,
    });
  });

  it('uploads again when the marked version was archived (API versions are usable only while uploaded)', async () => {
    replyWorkspace(CV_OLD, [marker(CV_OLD, HASH)]);
    replyCvStatus(CV_OLD, 'archived');
    expectCreateAndUpload([], []);
    replyCvStatus(CV_NEW, 'uploaded');
    h.api
      .intercept({ path: `/api/v2/workspaces/${WS_ID}/vars/var-marker0000000001`, method: 'PATCH' })
      .reply(200, varDoc(WS_ID, marker(CV_NEW, HASH)), { headers: JSON_API_HEADERS });

    await expect(h.client.ensureConfigurationVersion(WS_ID, TARBALL, HASH)).resolves.toEqual({
      id: CV_NEW,
      reused: false,
    });
  });

  it('fails with ConfigurationVersionErroredError when TFC cannot process the upload', async () => {
    replyWorkspace(null, []);
    expectCreateAndUpload([], []);
    h.api
      .intercept({ path: `/api/v2/configuration-versions/${CV_NEW}`, method: 'GET' })
      .reply(200, configurationVersionDoc(CV_NEW, 'errored', 'Invalid archive'), {
        headers: JSON_API_HEADERS,
      });

    const promise = h.client.ensureConfigurationVersion(WS_ID, TARBALL, HASH);

    await expect(promise).rejects.toThrow(ConfigurationVersionErroredError);
    await expect(promise).rejects.toThrow('Invalid archive');
  });

  it('stops polling after the configured attempts with a retryable timeout', async () => {
    replyWorkspace(null, []);
    expectCreateAndUpload([], []);
    replyCvStatus(CV_NEW, 'pending', 'pending', 'pending');

    const promise = h.client.ensureConfigurationVersion(WS_ID, TARBALL, HASH);

    await expect(promise).rejects.toThrow(ConfigurationVersionTimeoutError);
    await expect(promise).rejects.toMatchObject({ retryable: true });
    expect(h.sleeps).toEqual([500, 500]);
  });

  it('never reveals the one-time upload URL when the upload keeps failing', async () => {
    replyWorkspace(null, []);
    h.api
      .intercept({ path: `/api/v2/workspaces/${WS_ID}/configuration-versions`, method: 'POST' })
      .reply(201, createdConfigurationVersionDoc(CV_NEW), { headers: JSON_API_HEADERS });
    h.agent
      .get(UPLOAD_ORIGIN)
      .intercept({ path: UPLOAD_PATH, method: 'PUT' })
      .reply(503, 'unavailable')
      .times(4);

    const error = await h.client.ensureConfigurationVersion(WS_ID, TARBALL, HASH).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TfcRetriesExhaustedError);
    expect(error).toMatchObject({ method: 'PUT', path: '<upload-url>', lastStatus: 503 });
    expect(JSON.stringify(error)).not.toContain(UPLOAD_PATH);
    expect((error as Error).message).not.toContain(UPLOAD_PATH);
    expect(JSON.stringify(h.logs)).not.toContain(UPLOAD_PATH);
  });
});
