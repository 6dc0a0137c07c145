import { TENANT_CODE_PATTERN } from '../../../lambdas/core/tenant-code';
import { DEFAULT_TIER, TIERS } from '../../../lambdas/core/tenant';
import { RESERVED_VARIABLES } from '../../../lambdas/core/workspace';
import type { JsonObject, TerraformModule } from './hcl';
import { AWS_MODULE_DIR, LOCAL_MODULE_DIR, blocks, labelled, loadModule } from './hcl';
import { ENVIRONMENT_NAME_PATTERN } from '../../../lambdas/core/environment';

/** The local module's stand-in golden image and subnet let it plan with only the reserved variables. */
const LOCAL_ONLY_DEFAULTS = new Set(['ami_id', 'subnet_id']);
const LOCAL_ONLY_VARIABLES = ['fail'];

const EXPECTED_OUTPUTS = [
  'bucket_arn',
  'bucket_name',
  'instance_id',
  'instance_private_ip',
  'instance_profile_name',
  'kms_key_arn',
  'notebook_url',
  'role_arn',
];

/** The first regex literal inside a validation condition such as `can(regex("^...$", var.x))`. */
function regexIn(condition: unknown): RegExp {
  const match = typeof condition === 'string' ? /regex\("((?:[^"\\]|\\.)*)"/.exec(condition) : null;
  if (!match?.[1]) throw new Error(`no regex in ${String(condition)}`);
  return new RegExp(JSON.parse(`"${match[1]}"`) as string);
}

const conditionOf = (variable: JsonObject | undefined): unknown => blocks(variable?.validation)[0]?.condition;

describe.each([
  ['aws', AWS_MODULE_DIR],
  ['local', LOCAL_MODULE_DIR],
])('terraform-module/%s honours the control plane contract', (_name, dir) => {
  let variables: Map<string, JsonObject>;

  beforeAll(async () => {
    variables = labelled(await loadModule(dir), 'variable');
  });

  it('declares the variables the control plane sets on every workspace', () => {
    expect([...variables.keys()]).toEqual(expect.arrayContaining([...RESERVED_VARIABLES]));
    expect(variables.get('tenant_code')).not.toHaveProperty('default');
    expect(variables.get('environment')).not.toHaveProperty('default');
  });

  it('validates environment with the control plane rule', () => {
    expect(regexIn(conditionOf(variables.get('environment'))).source).toBe(ENVIRONMENT_NAME_PATTERN.source);
  });

  it('validates tenant_code with the API pattern', () => {
    const pattern = regexIn(conditionOf(variables.get('tenant_code')));

    expect(pattern.source).toBe(TENANT_CODE_PATTERN.source);
    for (const code of ['abc', 'acme-lab', `a${'b'.repeat(31)}`]) expect(pattern.test(code)).toBe(true);
    for (const code of ['ab', 'Acme', '1abc', 'a_b', `a${'b'.repeat(32)}`])
      expect(pattern.test(code)).toBe(false);
  });

  it('accepts exactly the API tiers and defaults to the API default tier', () => {
    const tier = variables.get('tier');

    expect(conditionOf(tier)).toBe(`\${contains(${JSON.stringify(TIERS).replace(/,/g, ', ')}, var.tier)}`);
    expect(tier?.default).toBe(DEFAULT_TIER);
  });

  it('keeps s3_prefix free of IAM wildcards', () => {
    const pattern = regexIn(conditionOf(variables.get('s3_prefix')));

    for (const prefix of ['team', 'team/a', 'data_2024/raw-v1.2']) expect(pattern.test(prefix)).toBe(true);
    for (const prefix of ['*', 'team/*', 'team/?', '/team', 'team/', 'a//b'])
      expect(pattern.test(prefix)).toBe(false);
  });
});

describe('terraform-module/local mirrors terraform-module/aws', () => {
  let aws: TerraformModule;
  let local: TerraformModule;

  beforeAll(async () => {
    [aws, local] = await Promise.all([loadModule(AWS_MODULE_DIR), loadModule(LOCAL_MODULE_DIR)]);
  });

  it('has the same outputs', () => {
    expect([...labelled(aws, 'output').keys()].sort()).toEqual(EXPECTED_OUTPUTS);
    expect([...labelled(local, 'output').keys()].sort()).toEqual(EXPECTED_OUTPUTS);
  });

  it('has the same variables, plus fail', () => {
    const awsNames = [...labelled(aws, 'variable').keys()].sort();

    expect([...labelled(local, 'variable').keys()].sort()).toEqual(
      [...awsNames, ...LOCAL_ONLY_VARIABLES].sort(),
    );
  });

  it('declares each shared variable with the same type, nullability, validations and default', () => {
    const localVariables = labelled(local, 'variable');
    const shape = (name: string, variable: JsonObject | undefined): JsonObject => {
      const { default: value, ...rest } = variable ?? {};
      return LOCAL_ONLY_DEFAULTS.has(name) ? { name, ...rest } : { name, default: value ?? null, ...rest };
    };
    const awsVariables = [...labelled(aws, 'variable')];

    expect(awsVariables.map(([name]) => shape(name, localVariables.get(name)))).toEqual(
      awsVariables.map(([name, variable]) => shape(name, variable)),
    );
  });

  it('makes fail a "true"/"false" string defaulting to "false"', () => {
    const fail = labelled(local, 'variable').get('fail');

    expect(fail?.type).toBe('${string}');
    expect(fail?.default).toBe('false');
  });
});
