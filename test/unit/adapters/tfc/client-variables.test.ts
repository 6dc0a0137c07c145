import { JSON_API_HEADERS, harness, recordBody, varDoc, varsDoc, type VarFixture } from './fixtures';

const WS_ID = 'ws-4j8p6jX1w33MiDC7';
const VARS_PATH = `/api/v2/workspaces/${WS_ID}/vars`;

let h: ReturnType<typeof harness>;
beforeEach(() => {
  h = harness();
});
afterEach(async () => {
  h.agent.assertNoPendingInterceptors();
  await h.agent.close();
});

function replyList(vars: VarFixture[]): void {
  h.api
    .intercept({ path: VARS_PATH, method: 'GET' })
    .reply(200, varsDoc(WS_ID, vars), { headers: JSON_API_HEADERS });
}

describe('TfcClient.upsertVariables', () => {
  it('creates missing variables, updates changed ones and leaves the rest alone', async () => {
    replyList([
      { id: 'var-AD4pibb9nxo1468E', key: 'region', value: 'eu-west-1', category: 'terraform' },
      { id: 'var-yRmifb4PJj7cLkMG', key: 'tier', value: 'silver', category: 'terraform' },
      { id: 'var-unrelated0000001', key: 'owner_note', value: 'set by hand', category: 'terraform' },
    ]);
    const created: unknown[] = [];
    const updated: unknown[] = [];
    h.api
      .intercept({ path: VARS_PATH, method: 'POST' })
      .reply(
        recordBody(
          created,
          201,
          varDoc(WS_ID, { id: 'var-EavQ1LztoRTQHSNT', key: 'bucket', value: 'b', category: 'terraform' }),
        ),
      );
    h.api
      .intercept({ path: `${VARS_PATH}/var-yRmifb4PJj7cLkMG`, method: 'PATCH' })
      .reply(
        recordBody(
          updated,
          200,
          varDoc(WS_ID, { id: 'var-yRmifb4PJj7cLkMG', key: 'tier', value: 'gold', category: 'terraform' }),
        ),
      );

    const result = await h.client.upsertVariables(WS_ID, [
      { key: 'region', value: 'eu-west-1', category: 'terraform' },
      { key: 'tier', value: 'gold', category: 'terraform' },
      { key: 'bucket', value: 'b', category: 'terraform' },
    ]);

    expect(result).toEqual({ created: ['bucket'], updated: ['tier'], unchanged: ['region'] });
    expect(created).toEqual([
      {
        data: {
          type: 'vars',
          attributes: { key: 'bucket', value: 'b', category: 'terraform', hcl: false, sensitive: false },
        },
      },
    ]);
    expect(updated).toEqual([
      { data: { type: 'vars', id: 'var-yRmifb4PJj7cLkMG', attributes: { value: 'gold', hcl: false } } },
    ]);
  });

  it('matches variables by key and category', async () => {
    replyList([{ id: 'var-env0000000000001', key: 'region', value: 'eu-west-1', category: 'env' }]);
    const created: unknown[] = [];
    h.api
      .intercept({ path: VARS_PATH, method: 'POST' })
      .reply(
        recordBody(
          created,
          201,
          varDoc(WS_ID, { id: 'var-new', key: 'region', value: 'x', category: 'terraform' }),
        ),
      );

    const result = await h.client.upsertVariables(WS_ID, [
      { key: 'region', value: 'eu-west-1', category: 'terraform' },
    ]);

    expect(result.created).toEqual(['region']);
  });

  it('rewrites an HCL variable as a literal string even when the value is equal', async () => {
    replyList([
      { id: 'var-hcl0000000000001', key: 'replicas', value: '2', category: 'terraform', hcl: true },
    ]);
    const updated: unknown[] = [];
    h.api
      .intercept({ path: `${VARS_PATH}/var-hcl0000000000001`, method: 'PATCH' })
      .reply(
        recordBody(
          updated,
          200,
          varDoc(WS_ID, { id: 'var-hcl0000000000001', key: 'replicas', value: '2', category: 'terraform' }),
        ),
      );

    const result = await h.client.upsertVariables(WS_ID, [
      { key: 'replicas', value: '2', category: 'terraform' },
    ]);

    expect(result.updated).toEqual(['replicas']);
    expect(updated).toEqual([
      { data: { type: 'vars', id: 'var-hcl0000000000001', attributes: { value: '2', hcl: false } } },
    ]);
  });

  it('always rewrites a sensitive variable (TFC never returns its value) and keeps it sensitive', async () => {
    replyList([
      {
        id: 'var-secret0000000001',
        key: 'db_password',
        value: 'old',
        category: 'terraform',
        sensitive: true,
      },
    ]);
    const updated: unknown[] = [];
    h.api.intercept({ path: `${VARS_PATH}/var-secret0000000001`, method: 'PATCH' }).reply(
      recordBody(
        updated,
        200,
        varDoc(WS_ID, {
          id: 'var-secret0000000001',
          key: 'db_password',
          value: null,
          category: 'terraform',
          sensitive: true,
        }),
      ),
    );

    const result = await h.client.upsertVariables(WS_ID, [
      { key: 'db_password', value: 'n3w-s3cret', category: 'terraform', sensitive: true },
    ]);

    expect(result.updated).toEqual(['db_password']);
    expect(updated).toEqual([
      {
        data: {
          type: 'vars',
          id: 'var-secret0000000001',
          attributes: { value: 'n3w-s3cret', hcl: false, sensitive: true },
        },
      },
    ]);
    expect(JSON.stringify(h.logs)).not.toContain('n3w-s3cret');
  });

  it('sends nothing but the list when every variable is unchanged', async () => {
    replyList([{ id: 'var-AD4pibb9nxo1468E', key: 'region', value: 'eu-west-1', category: 'terraform' }]);

    const result = await h.client.upsertVariables(WS_ID, [
      { key: 'region', value: 'eu-west-1', category: 'terraform' },
    ]);

    expect(result).toEqual({ created: [], updated: [], unchanged: ['region'] });
  });
});
