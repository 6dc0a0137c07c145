import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESERVED_VARIABLES } from '../../../lambdas/core/workspace';
import { parseTenantInputs, TENANT_INPUTS_FILE } from '../../../lambdas/core/tenant-inputs';
import { loadTenantInputs } from '../../../lambdas/adapters/module/tenant-inputs-file';
import { AWS_MODULE_DIR, LOCAL_MODULE_DIR, labelled, loadModule } from './hcl';

/** Inputs that decide security or placement: set by the deployment's configuration, never by a request. */
const DEPLOYMENT_ONLY = [
  'admin_role_arn',
  'permissions_boundary_arn',
  'ami_id',
  'subnet_id',
  'aws_region',
  'notebook_allowed_cidrs',
  'notebook_allowed_cidrs_max_share',
  'egress_https_cidrs',
  'force_destroy',
  'kms_deletion_window_days',
  'root_volume_size_gb',
  'tags',
];

describe.each([
  ['aws', AWS_MODULE_DIR],
  ['local', LOCAL_MODULE_DIR],
])('terraform-module/%s/tenant-inputs.json', (_name, dir) => {
  const raw = JSON.parse(readFileSync(join(dir, TENANT_INPUTS_FILE), 'utf8')) as Record<string, unknown>;

  it('is a valid tenant inputs file', () => {
    expect(() => parseTenantInputs(raw)).not.toThrow();
    expect(loadTenantInputs(dir).size).toBe(Object.keys(raw).length);
  });

  it('lists only declared variables of its module', async () => {
    const variables = labelled(await loadModule(dir), 'variable');
    const undeclared = Object.keys(raw).filter((name) => !variables.has(name));
    expect(undeclared).toEqual([]);
  });

  it('lets no tenant set a reserved, security or placement input', () => {
    const names = Object.keys(raw);
    for (const name of [...RESERVED_VARIABLES, ...DEPLOYMENT_ONLY]) expect(names).not.toContain(name);
  });
});

describe('tenant inputs file parsing', () => {
  it.each([
    ['a reserved JavaScript name', { constructor: {} }],
    ['a malformed name', { 'bad-name': {} }],
    ['an invalid pattern', { a: { pattern: '(' } }],
    ['an unknown constraint', { a: { maxLength: 3 } }],
    ['not an object', ['a']],
  ])('rejects %s', (_what, json) => {
    expect(() => parseTenantInputs(json)).toThrow(/not a valid tenant inputs file/);
  });

  it('fails fast, naming the path, for a module without the file', () => {
    expect(() => loadTenantInputs(join(AWS_MODULE_DIR, 'tests'))).toThrow(/tenant-inputs\.json is missing/);
  });
});
