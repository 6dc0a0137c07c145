/** A bare HTTP client for the TFC fake's tests: raw requests, the documents they answer, a manual clock. */
import { request } from 'undici';

import { FAST_TIMINGS, startTfcFake, type TfcFake, type TfcFakeOptions } from '../../support/tfc-fake/server';

export const ORG = 'acme';
export const TOKEN = 'fake-token-123';
export const T0 = Date.UTC(2030, 0, 1);

export interface Resource {
  id: string;
  type: string;
  attributes: Record<string, unknown>;
  relationships?: Record<string, { data?: unknown; links?: Record<string, string> }>;
  links?: Record<string, string>;
}

export interface Doc {
  data?: Resource & Resource[];
  errors?: { status: string | number; title: string; detail?: string; source?: { pointer: string } }[];
  links?: Record<string, string | null>;
  meta?: { pagination: Record<string, number | null> };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  doc: Doc;
  text: string;
}

/** A clock the test moves by hand. */
export class ManualClock {
  public constructor(public time: number) {}
  public now(): number {
    return this.time;
  }
  public advance(ms: number): void {
    this.time += ms;
  }
}

/** A fake on a manual clock, no rate limit, fast timings and runs of 1 s unless the options say otherwise. */
export async function startManualFake(
  options: Partial<TfcFakeOptions> = {},
): Promise<{ fake: TfcFake; clock: ManualClock }> {
  const clock = new ManualClock(T0);
  const fake = await startTfcFake({
    organization: ORG,
    token: TOKEN,
    clock,
    rateLimitPerSecond: Infinity,
    ...FAST_TIMINGS,
    runDurationMs: 1000,
    ...options,
  });
  return { fake, clock };
}

export async function call(
  fake: TfcFake,
  method: string,
  path: string,
  body?: unknown,
  token: string | null = TOKEN,
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/vnd.api+json' };
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const url = path.startsWith('http') ? path : `${fake.url}${path}`;
  const res = await request(url, {
    method: method as 'GET',
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  const isJson = String(res.headers['content-type'] ?? '').includes('json');
  return {
    status: res.statusCode,
    headers: res.headers,
    text,
    doc: isJson && text !== '' ? (JSON.parse(text) as Doc) : {},
  };
}

export function data(answer: Answer): Resource {
  if (answer.doc.data === undefined) throw new Error(`no data in ${answer.status}: ${answer.text}`);
  return answer.doc.data;
}

export function list(answer: Answer): Resource[] {
  if (!Array.isArray(answer.doc.data)) throw new Error(`no data array in ${answer.status}: ${answer.text}`);
  return answer.doc.data;
}

export const workspaceBody = (name: string, extra: Record<string, unknown> = {}): unknown => ({
  data: { type: 'workspaces', attributes: { name, 'auto-apply': true, ...extra } },
});

export const varBody = (key: string, value: string, extra: Record<string, unknown> = {}): unknown => ({
  data: {
    type: 'vars',
    attributes: { key, value, category: 'terraform', hcl: false, sensitive: false, ...extra },
  },
});

export const runBody = (
  workspaceId: string,
  extra: Record<string, unknown> = {},
  cvId?: string,
): unknown => ({
  data: {
    type: 'runs',
    attributes: { message: 'tenant flow', ...extra },
    relationships: {
      workspace: { data: { type: 'workspaces', id: workspaceId } },
      ...(cvId === undefined
        ? {}
        : { 'configuration-version': { data: { type: 'configuration-versions', id: cvId } } }),
    },
  },
});

export async function createWorkspace(fake: TfcFake, name: string, extra: Record<string, unknown> = {}) {
  return data(
    await call(fake, 'POST', `/api/v2/organizations/${ORG}/workspaces`, workspaceBody(name, extra)),
  );
}

/** Creates a configuration version (auto-queue off, as the control plane does) and uploads it. */
export async function uploadConfiguration(fake: TfcFake, workspaceId: string, tarball = 'module-v1') {
  const created = await call(fake, 'POST', `/api/v2/workspaces/${workspaceId}/configuration-versions`, {
    data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': false } },
  });
  const cv = data(created);
  const put = await call(fake, 'PUT', String(cv.attributes['upload-url']), tarball, null);
  if (put.status !== 200) throw new Error(`upload answered ${put.status}`);
  return cv.id;
}

export async function runStatus(fake: TfcFake, runId: string, token = TOKEN): Promise<unknown> {
  return data(await call(fake, 'GET', `/api/v2/runs/${runId}`, undefined, token)).attributes.status;
}
