import {
  ConfigurationVersionErroredError,
  ConfigurationVersionTimeoutError,
  TfcRetriesExhaustedError,
} from '../../../../lambdas/adapters/tfc/errors';
import { Headers } from 'undici';
import {
  JSON_API_HEADERS,
  TOKEN,
  UPLOAD_ORIGIN,
  UPLOAD_PATH,
  configurationVersionDoc,
  createdConfigurationVersionDoc,
  harness,
  recordBody,
} from './fixtures';

const WS_ID = 'ws-2Qhk7LHgbMrm3grF';
const CV_NEW = 'cv-UYwHEakurukz85nW';
const TARBALL = Buffer.from('pretend this is a .tar.gz');

let h: ReturnType<typeof harness>;
beforeEach(() => {
  h = harness({ configurationVersionPoll: { attempts: 3, intervalMs: 500 } });
});
afterEach(async () => {
  h.agent.assertNoPendingInterceptors();
  await h.agent.close();
});

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

describe('ConfigurationVersionsApi.upload', () => {
  it('uploads the module to a new configuration version and waits until it is uploaded', async () => {
    const creations: unknown[] = [];
    const uploads: Upload[] = [];
    expectCreateAndUpload(creations, uploads);
    replyCvStatus(CV_NEW, 'pending', 'uploaded');

    const id = await h.client.configurationVersions.upload(WS_ID, TARBALL);

    expect(id).toBe(CV_NEW);
    expect(creations).toEqual([
      { data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': false } } },
    ]);
    expect(uploads).toHaveLength(1);
    expect(uploads[0]?.headers['content-type']).toBe('application/octet-stream');
    expect(uploads[0]?.headers).not.toHaveProperty('authorization');
    expect(JSON.stringify(uploads)).not.toContain(TOKEN);
    expect(uploads[0]?.body).toBe(TARBALL.toString());
    expect(h.sleeps).toEqual([500]);
  });

  it('fails with ConfigurationVersionErroredError when TFC cannot process the upload', async () => {
    expectCreateAndUpload([], []);
    h.api
      .intercept({ path: `/api/v2/configuration-versions/${CV_NEW}`, method: 'GET' })
      .reply(200, configurationVersionDoc(CV_NEW, 'errored', 'Invalid archive'), {
        headers: JSON_API_HEADERS,
      });

    const promise = h.client.configurationVersions.upload(WS_ID, TARBALL);

    await expect(promise).rejects.toThrow(ConfigurationVersionErroredError);
    await expect(promise).rejects.toThrow('Invalid archive');
  });

  it('stops polling after the configured attempts with a retryable timeout', async () => {
    expectCreateAndUpload([], []);
    replyCvStatus(CV_NEW, 'pending', 'pending', 'pending');

    const promise = h.client.configurationVersions.upload(WS_ID, TARBALL);

    await expect(promise).rejects.toThrow(ConfigurationVersionTimeoutError);
    await expect(promise).rejects.toMatchObject({ retryable: true });
    expect(h.sleeps).toEqual([500, 500]);
  });

  it('never reveals the one-time upload URL when the upload keeps failing', async () => {
    h.api
      .intercept({ path: `/api/v2/workspaces/${WS_ID}/configuration-versions`, method: 'POST' })
      .reply(201, createdConfigurationVersionDoc(CV_NEW), { headers: JSON_API_HEADERS });
    h.agent
      .get(UPLOAD_ORIGIN)
      .intercept({ path: UPLOAD_PATH, method: 'PUT' })
      .reply(503, 'unavailable')
      .times(4);

    const error = await h.client.configurationVersions.upload(WS_ID, TARBALL).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TfcRetriesExhaustedError);
    expect(error).toMatchObject({ method: 'PUT', path: '<upload-url>', lastStatus: 503 });
    expect(JSON.stringify(error)).not.toContain(UPLOAD_PATH);
    expect((error as Error).message).not.toContain(UPLOAD_PATH);
    expect(JSON.stringify(h.logs)).not.toContain(UPLOAD_PATH);
  });
});
