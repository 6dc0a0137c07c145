import {
  TfcNotFoundError,
  UnmanagedWorkspaceError,
  WorkspaceNotSafeToDeleteError,
} from '../../../../lambdas/adapters/tfc/errors';
import {
  JSON_API_HEADERS,
  MANAGED_TAGS,
  ORG,
  errorDoc,
  harness,
  recordBody,
  tagBindingsDoc,
  workspaceDoc,
} from './fixtures';

const WS_ID = 'ws-6jrRyVDv1J8zQMB5';
const CREATE_PATH = `/api/v2/organizations/${ORG}/workspaces`;
const BY_NAME_PATH = `/api/v2/organizations/${ORG}/workspaces/tenant-acme`;
const TAGS_PATH = `/api/v2/workspaces/${WS_ID}/tag-bindings`;
const SAFE_DELETE_PATH = `/api/v2/workspaces/${WS_ID}/actions/safe-delete`;
const NAME_TAKEN = errorDoc('422', 'invalid attribute', 'Name has already been taken');

let h: ReturnType<typeof harness>;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  h.agent.assertNoPendingInterceptors();
  await h.agent.close();
});

function replyExisting(tags: Record<string, string>): void {
  h.api
    .intercept({ path: BY_NAME_PATH, method: 'GET' })
    .reply(200, workspaceDoc(), { headers: JSON_API_HEADERS });
  h.api
    .intercept({ path: TAGS_PATH, method: 'GET' })
    .reply(200, tagBindingsDoc(WS_ID, tags), { headers: JSON_API_HEADERS });
}

describe('TfcClient.ensureWorkspace', () => {
  it('creates an auto-apply workspace tagged as managed by the control plane and by tenant', async () => {
    const bodies: unknown[] = [];
    h.api.intercept({ path: CREATE_PATH, method: 'POST' }).reply(recordBody(bodies, 201, workspaceDoc()));

    const ws = await h.client.ensureWorkspace('tenant-acme', { tenantCode: 'acme', tags: { tier: 'gold' } });

    expect(bodies[0]).toEqual({
      data: {
        type: 'workspaces',
        attributes: {
          name: 'tenant-acme',
          'auto-apply': true,
          description: 'Managed by tenant-control-plane for tenant acme.',
        },
        relationships: {
          'tag-bindings': {
            data: [
              { type: 'tag-bindings', attributes: { key: 'tier', value: 'gold' } },
              { type: 'tag-bindings', attributes: { key: 'managed-by', value: 'tenant-control-plane' } },
              { type: 'tag-bindings', attributes: { key: 'tenant', value: 'acme' } },
            ],
          },
        },
      },
    });
    expect(ws).toEqual({
      id: WS_ID,
      name: 'tenant-acme',
      tags: { tier: 'gold', ...MANAGED_TAGS },
      autoApply: true,
      resourceCount: 0,
      currentConfigurationVersionId: undefined,
      created: true,
    });
  });

  it('does not let caller tags override the managed-by and tenant tags', async () => {
    const bodies: unknown[] = [];
    h.api.intercept({ path: CREATE_PATH, method: 'POST' }).reply(recordBody(bodies, 201, workspaceDoc()));

    const ws = await h.client.ensureWorkspace('tenant-acme', {
      tenantCode: 'acme',
      tags: { 'managed-by': 'someone-else', tenant: 'other' },
    });

    expect(ws.tags).toEqual(MANAGED_TAGS);
  });

  it('puts the workspace in the given project', async () => {
    const bodies: Array<{ data: { relationships: Record<string, unknown> } }> = [];
    h.api
      .intercept({ path: CREATE_PATH, method: 'POST' })
      .reply(recordBody(bodies as unknown[], 201, workspaceDoc()));

    await h.client.ensureWorkspace('tenant-acme', { tenantCode: 'acme', projectId: 'prj-jT92VLSFpv8FwKtc' });

    expect(bodies[0]?.data.relationships.project).toEqual({
      data: { type: 'projects', id: 'prj-jT92VLSFpv8FwKtc' },
    });
  });

  it('on 422 "Name has already been taken" fetches the existing managed workspace', async () => {
    h.api
      .intercept({ path: CREATE_PATH, method: 'POST' })
      .reply(422, NAME_TAKEN, { headers: JSON_API_HEADERS });
    replyExisting(MANAGED_TAGS);

    const ws = await h.client.ensureWorkspace('tenant-acme', { tenantCode: 'acme' });

    expect(ws).toMatchObject({ id: WS_ID, name: 'tenant-acme', tags: MANAGED_TAGS, created: false });
  });

  it('adds tags the existing workspace lacks, without removing any', async () => {
    const patches: unknown[] = [];
    h.api
      .intercept({ path: CREATE_PATH, method: 'POST' })
      .reply(422, NAME_TAKEN, { headers: JSON_API_HEADERS });
    replyExisting({ ...MANAGED_TAGS, costcenter: '123', tier: 'silver' });
    h.api
      .intercept({ path: TAGS_PATH, method: 'PATCH' })
      .reply(recordBody(patches, 200, tagBindingsDoc(WS_ID, { tier: 'gold' })));

    const ws = await h.client.ensureWorkspace('tenant-acme', { tenantCode: 'acme', tags: { tier: 'gold' } });

    expect(patches).toEqual([
      { data: [{ type: 'tag-bindings', attributes: { key: 'tier', value: 'gold' } }] },
    ]);
    expect(ws.tags).toEqual({ ...MANAGED_TAGS, costcenter: '123', tier: 'gold' });
  });

  it('refuses an existing workspace without the managed-by tag', async () => {
    h.api
      .intercept({ path: CREATE_PATH, method: 'POST' })
      .reply(422, NAME_TAKEN, { headers: JSON_API_HEADERS });
    replyExisting({ costcenter: '123' });

    await expect(h.client.ensureWorkspace('tenant-acme', { tenantCode: 'acme' })).rejects.toThrow(
      UnmanagedWorkspaceError,
    );
  });

  it('refuses an existing managed workspace of another tenant', async () => {
    h.api
      .intercept({ path: CREATE_PATH, method: 'POST' })
      .reply(422, NAME_TAKEN, { headers: JSON_API_HEADERS });
    replyExisting({ ...MANAGED_TAGS, tenant: 'globex' });

    await expect(h.client.ensureWorkspace('tenant-acme', { tenantCode: 'acme' })).rejects.toThrow(
      "tagged for tenant 'globex'",
    );
  });

  it('reports 404 (valid token without permission to create) as not found or no permission', async () => {
    h.api
      .intercept({ path: CREATE_PATH, method: 'POST' })
      .reply(404, errorDoc('404', 'not found'), { headers: JSON_API_HEADERS });

    const promise = h.client.ensureWorkspace('tenant-acme', { tenantCode: 'acme' });

    await expect(promise).rejects.toThrow(TfcNotFoundError);
    await expect(promise).rejects.toThrow(`TFC POST ${CREATE_PATH}: not found or no permission`);
  });
});

describe('TfcClient workspaces: managed check, safe delete, 404', () => {
  it('refuses a workspace without the managed-by tag', async () => {
    h.api
      .intercept({ path: `/api/v2/workspaces/${WS_ID}`, method: 'GET' })
      .reply(200, workspaceDoc(), { headers: JSON_API_HEADERS });
    h.api
      .intercept({ path: TAGS_PATH, method: 'GET' })
      .reply(200, tagBindingsDoc(WS_ID, { tenant: 'acme' }), { headers: JSON_API_HEADERS });

    const resource = await h.client.workspaces.read({ id: WS_ID });
    const promise = h.client.workspaces.managed(resource, 'acme');

    await expect(promise).rejects.toThrow(UnmanagedWorkspaceError);
    await expect(promise).rejects.toMatchObject({ retryable: false, workspace: 'tenant-acme' });
  });

  it("refuses another tenant's managed workspace", async () => {
    replyExisting(MANAGED_TAGS);

    const resource = await h.client.workspaces.read({ name: 'tenant-acme' });

    await expect(h.client.workspaces.managed(resource, 'other')).rejects.toThrow(/tagged for tenant 'acme'/);
  });

  it('safe-deletes by id (workspaces.mdx "Safe Delete a workspace")', async () => {
    h.api.intercept({ path: SAFE_DELETE_PATH, method: 'POST' }).reply(204, '');

    await expect(h.client.workspaces.safeDelete(WS_ID)).resolves.toBe('deleted');
  });

  it('reports 404 on the delete as not-found, never as deleted', async () => {
    h.api
      .intercept({ path: SAFE_DELETE_PATH, method: 'POST' })
      .reply(404, errorDoc('404', 'not found'), { headers: JSON_API_HEADERS });

    await expect(h.client.workspaces.safeDelete(WS_ID)).resolves.toBe('not-found');
  });

  it('finds nothing on 404, which the caller must not take as proof', async () => {
    h.api
      .intercept({ path: BY_NAME_PATH, method: 'GET' })
      .reply(404, errorDoc('404', 'not found'), { headers: JSON_API_HEADERS });

    await expect(h.client.workspaces.find({ name: 'tenant-acme' })).resolves.toBeUndefined();
  });

  // go-tfe errors.go: ErrWorkspaceLockedCannotDelete, ErrWorkspaceStillProcessing, ErrWorkspaceNotSafeToDelete.
  it.each([
    [
      'Workspace is currently locked. Workspace must be unlocked before it can be safely deleted',
      'locked',
      true,
    ],
    [
      'Latest workspace state is being processed to discover resources, please try again later',
      'processing',
      true,
    ],
    ['workspace cannot be safely deleted because it is still managing resources', 'resources', false],
  ])('tells a 409 "%s" apart: %s (retryable: %s)', async (detail, reason, retryable) => {
    h.api
      .intercept({ path: SAFE_DELETE_PATH, method: 'POST' })
      .reply(409, errorDoc('409', 'conflict', detail), { headers: JSON_API_HEADERS });

    const promise = h.client.workspaces.safeDelete(WS_ID);

    await expect(promise).rejects.toThrow(WorkspaceNotSafeToDeleteError);
    await expect(promise).rejects.toMatchObject({ retryable, reason, workspaceId: WS_ID });
  });

  it('tells whether the token can read the organization (organizations.mdx "Show an Organization")', async () => {
    h.api.intercept({ path: '/api/v2/organizations/my-organization', method: 'GET' }).reply(
      200,
      { data: { id: 'my-organization', type: 'organizations', attributes: {} } },
      {
        headers: JSON_API_HEADERS,
      },
    );
    h.api
      .intercept({ path: '/api/v2/organizations/my-organization', method: 'GET' })
      .reply(404, errorDoc('404', 'not found'), { headers: JSON_API_HEADERS });

    await expect(h.client.organizations.readable()).resolves.toBe(true);
    await expect(h.client.organizations.readable()).resolves.toBe(false);
  });
});
