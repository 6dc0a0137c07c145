/**
 * JSON:API documents shaped like the samples in hashicorp/terraform-docs-common
 * `website/docs/cloud-docs/api-docs/` (workspaces, workspace-variables, configuration-versions, run,
 * state-version-outputs), with only ids and the fields under test changed.
 */
import { MockAgent } from 'undici';
import type { MockInterceptor } from 'undici/types/mock-interceptor';
import { TfcClient, type TfcClientOptions } from '../../../../lambdas/adapters/tfc/client';
import { staticTokenProvider } from '../../../../lambdas/adapters/tfc/token';

export const ORIGIN = 'https://app.terraform.io';
export const ORG = 'my-organization';
export const TOKEN = 'tfc-test-token.atlasv1.Zm9vYmFyLXNlY3JldA';
export const JSON_API_HEADERS = { 'content-type': 'application/vnd.api+json' };

export function workspaceDoc(
  options: {
    id?: string;
    name?: string;
    currentConfigurationVersionId?: string | null;
    autoApply?: boolean;
  } = {},
) {
  const id = options.id ?? 'ws-6jrRyVDv1J8zQMB5';
  const name = options.name ?? 'tenant-acme';
  const cvId = options.currentConfigurationVersionId ?? null;
  return {
    data: {
      id,
      type: 'workspaces',
      attributes: {
        actions: { 'is-destroyable': true },
        'allow-destroy-plan': true,
        'assessments-enabled': false,
        'auto-apply': options.autoApply ?? true,
        'auto-apply-run-trigger': false,
        'auto-destroy-at': null,
        'created-at': '2021-08-16T21:22:49.566Z',
        description: null,
        environment: 'default',
        'execution-mode': 'remote',
        'file-triggers-enabled': true,
        'global-remote-state': false,
        'latest-change-at': '2021-08-16T21:22:49.566Z',
        locked: false,
        'locked-reason': null,
        name,
        operations: true,
        'queue-all-runs': false,
        'resource-count': 0,
        source: 'tfe-api',
        'source-name': null,
        'source-url': null,
        'speculative-enabled': true,
        'structured-run-output-enabled': true,
        'tag-names': [],
        'terraform-version': '1.9.4',
        'trigger-prefixes': [],
        'updated-at': '2021-08-16T21:22:49.566Z',
        'vcs-repo': null,
        'vcs-repo-identifier': null,
        'working-directory': null,
        'setting-overwrites': { 'execution-mode': false, 'agent-pool': false },
      },
      links: {
        self: `/api/v2/organizations/${ORG}/workspaces/${name}`,
        'self-html': `/app/${ORG}/workspaces/${name}`,
      },
      relationships: {
        'current-configuration-version':
          cvId === null
            ? { data: null }
            : {
                data: { id: cvId, type: 'configuration-versions' },
                links: { related: `/api/v2/configuration-versions/${cvId}` },
              },
        'current-run': { data: null },
        'effective-tag-bindings': { links: { related: `/api/v2/workspaces/${id}/effective-tag-bindings` } },
        organization: { data: { id: ORG, type: 'organizations' } },
        outputs: { data: [], links: { related: `/api/v2/workspaces/${id}/current-state-version-outputs` } },
        project: { data: { id: 'prj-hjy7ndEkmCtn31ps', type: 'projects' } },
        'tag-bindings': { links: { related: `/api/v2/workspaces/${id}/tag-bindings` } },
        vars: { data: [] },
      },
    },
  };
}

export function tagBindingsDoc(workspaceId: string, tags: Record<string, string>) {
  return {
    data: Object.entries(tags).map(([key, value], i) => ({
      id: `tb-232e23631380f79${i}`,
      type: 'tag-bindings',
      attributes: { key, value, 'created-at': '2024-11-19T23:59:24.648Z' },
    })),
    links: { target: `/api/v2/workspaces/${workspaceId}` },
  };
}

export const MANAGED_TAGS = { 'managed-by': 'tenant-control-plane', tenant: 'acme' };

export interface VarFixture {
  id: string;
  key: string;
  value: string | null;
  category: 'terraform' | 'env';
  sensitive?: boolean;
  hcl?: boolean;
  description?: string | null;
}

export function varResource(workspaceId: string, v: VarFixture) {
  return {
    id: v.id,
    type: 'vars',
    attributes: {
      key: v.key,
      value: v.sensitive ? null : v.value,
      description: v.description ?? null,
      sensitive: v.sensitive ?? false,
      category: v.category,
      hcl: v.hcl ?? false,
      'version-id': '1aa07d63ea8ff4df941c94ca9ddfd5d2bd04',
    },
    relationships: {
      configurable: {
        data: { id: workspaceId, type: 'workspaces' },
        links: { related: `/api/v2/organizations/${ORG}/workspaces/my-workspace` },
      },
    },
    links: { self: `/api/v2/workspaces/${workspaceId}/vars/${v.id}` },
  };
}

export const varsDoc = (workspaceId: string, vars: VarFixture[]) => ({
  data: vars.map((v) => varResource(workspaceId, v)),
});
export const varDoc = (workspaceId: string, v: VarFixture) => ({ data: varResource(workspaceId, v) });

export function configurationVersionDoc(id: string, status: string, errorMessage: string | null = null) {
  return {
    data: {
      id,
      type: 'configuration-versions',
      attributes: {
        error: errorMessage === null ? null : 'unprocessable',
        'error-message': errorMessage,
        source: 'tfe-api',
        speculative: false,
        status,
        'status-timestamps': {},
        provisional: false,
      },
      relationships: {
        'ingress-attributes': {
          data: null,
          links: { related: `/api/v2/configuration-versions/${id}/ingress-attributes` },
        },
      },
      links: {
        self: `/api/v2/configuration-versions/${id}`,
        download: `/api/v2/configuration-versions/${id}/download`,
      },
    },
  };
}

export const UPLOAD_ORIGIN = 'https://archivist.terraform.io';
export const UPLOAD_PATH = '/v1/object/9224c6b3-2e14-4cd7-adff-ed484d7294c2';

export function createdConfigurationVersionDoc(id: string) {
  return {
    data: {
      id,
      type: 'configuration-versions',
      attributes: {
        'auto-queue-runs': false,
        error: null,
        'error-message': null,
        source: 'tfe-api',
        speculative: false,
        status: 'pending',
        'status-timestamps': {},
        'upload-url': `${UPLOAD_ORIGIN}${UPLOAD_PATH}`,
        provisional: false,
      },
      relationships: {
        'ingress-attributes': {
          data: null,
          links: { related: `/api/v2/configuration-versions/${id}/ingress-attributes` },
        },
      },
      links: { self: `/api/v2/configuration-versions/${id}` },
    },
  };
}

export function runResource(
  options: {
    id?: string;
    status?: string;
    message?: string;
    isDestroy?: boolean;
    hasChanges?: boolean;
    isConfirmable?: boolean;
  } = {},
) {
  const id = options.id ?? 'run-CZcmD7eagjhyX0vN';
  return {
    id,
    type: 'runs',
    attributes: {
      actions: {
        'is-cancelable': true,
        'is-confirmable': options.isConfirmable ?? false,
        'is-discardable': options.isConfirmable ?? false,
        'is-force-cancelable': false,
      },
      'canceled-at': null,
      'created-at': '2021-05-24T07:38:04.171Z',
      'has-changes': options.hasChanges ?? false,
      'auto-apply': true,
      'allow-empty-apply': false,
      'allow-config-generation': false,
      'is-destroy': options.isDestroy ?? false,
      message: options.message ?? 'Custom message',
      'plan-only': false,
      source: 'tfe-api',
      'status-timestamps': { 'plan-queueable-at': '2021-05-24T07:38:04+00:00' },
      status: options.status ?? 'pending',
      'trigger-reason': 'manual',
      'target-addrs': null,
      permissions: { 'can-apply': true, 'can-cancel': true, 'can-discard': true, 'can-force-execute': true },
      refresh: false,
      'refresh-only': false,
      'replace-addrs': null,
      'save-plan': false,
      variables: [],
    },
    relationships: {
      'configuration-version': { data: { id: 'cv-n4XQPBa2QnecZJ4G', type: 'configuration-versions' } },
      workspace: { data: { id: 'ws-6jrRyVDv1J8zQMB5', type: 'workspaces' } },
    },
    links: { self: `/api/v2/runs/${id}` },
  };
}

export function outputResource(id: string, name: string, value: unknown, sensitive: boolean) {
  return {
    id,
    type: 'state-version-outputs',
    attributes: { name, sensitive, type: 'string', value, 'detailed-type': 'string' },
    links: { self: `/api/v2/state-version-outputs/${id}` },
  };
}

export function errorDoc(status: string | number, title: string, detail?: string) {
  return { errors: [{ status, title, ...(detail === undefined ? {} : { detail }) }] };
}

/** The error the call failed with; fails the test when the call succeeds. */
export async function caught(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

/** A client on a MockAgent that refuses real connections, with recorded sleeps and fixed jitter. */
export function harness(overrides: Partial<TfcClientOptions> = {}) {
  const agent = new MockAgent();
  agent.disableNetConnect();
  const sleeps: number[] = [];
  const logs: Array<{ level: string; message: string; attributes?: Record<string, unknown> }> = [];
  const log = (level: string) => (message: string, attributes?: Record<string, unknown>) => {
    logs.push({ level, message, attributes });
  };
  const client = new TfcClient({
    organization: ORG,
    token: staticTokenProvider(TOKEN),
    dispatcher: agent,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
    retry: { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 1000 },
    logger: { debug: log('debug'), info: log('info'), warn: log('warn') },
    ...overrides,
  });
  return { agent, api: agent.get(ORIGIN), sleeps, logs, client };
}

/** Reply callback that records the parsed JSON request body. */
export function recordBody(
  into: unknown[],
  statusCode: number,
  data?: object,
): MockInterceptor.MockReplyOptionsCallback {
  return (opts) => {
    into.push(typeof opts.body === 'string' ? (JSON.parse(opts.body) as unknown) : undefined);
    return {
      statusCode,
      data: data === undefined ? '' : JSON.stringify(data),
      responseOptions: { headers: JSON_API_HEADERS },
    };
  };
}
