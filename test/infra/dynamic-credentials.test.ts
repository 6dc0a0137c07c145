import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { ManagedPolicy, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TfcDynamicCredentials, type TfcDynamicCredentialsProps, buildControlPlaneApp } from '../../lib';
import {
  BASE_PROPS,
  SKIP_BUNDLING,
  arnOf,
  logicalId,
  ref,
  resource,
  resourcesOfType,
  synthStack,
  testApp,
} from './support';

const PROVIDER_ARN = 'arn:aws:iam::123456789012:oidc-provider/app.terraform.io';
const WEB_IDENTITY = 'sts:AssumeRoleWithWebIdentity';

type PartialProps = Partial<TfcDynamicCredentialsProps>;

/** The construct alone, in a stack of its own; `props` may build policies in that stack. */
function standalone(props: PartialProps | ((stack: Stack) => PartialProps) = {}) {
  const stack = new Stack(testApp(), 'Credentials');
  const credentials = new TfcDynamicCredentials(stack, 'Credentials', {
    organization: 'acme',
    workspaceNamePrefix: 'tenant-prod-',
    ...(typeof props === 'function' ? props(stack) : props),
  });
  return { stack, credentials, template: Template.fromStack(stack) };
}

interface TrustStatement {
  Effect: string;
  Action: string;
  Principal: Record<string, unknown>;
  Condition: Record<string, Record<string, unknown>>;
}

function trustOf(template: Template, role: TfcDynamicCredentials['role']): TrustStatement[] {
  const document = resource(template, 'AWS::IAM::Role', logicalId(role)).Properties
    .AssumeRolePolicyDocument as { Statement: TrustStatement[] };
  return document.Statement;
}

describe('TfcDynamicCredentials', () => {
  it('creates the OIDC provider of app.terraform.io with the HCP Terraform audience as its one client id', () => {
    const { credentials, template } = standalone();

    // Native resource, no thumbprints pinned: no custom-resource provider function behind it.
    expect(resourcesOfType(template, 'AWS::IAM::OIDCProvider')).toEqual({
      [logicalId(credentials.provider)]: {
        Type: 'AWS::IAM::OIDCProvider',
        Properties: { Url: 'https://app.terraform.io', ClientIdList: ['aws.workload.identity'] },
      },
    });
    expect(Object.keys(template.toJSON().Resources as object).sort()).toEqual(
      [logicalId(credentials.provider), logicalId(credentials.role)].sort(),
    );
  });

  it('lets only this organization’s runs in workspaces with the prefix assume the role, through that provider', () => {
    const { credentials, template } = standalone();

    expect(trustOf(template, credentials.role)).toEqual([
      {
        Effect: 'Allow',
        Action: WEB_IDENTITY,
        Principal: { Federated: ref(credentials.provider) },
        Condition: {
          StringEquals: { 'app.terraform.io:aud': 'aws.workload.identity' },
          StringLike: {
            'app.terraform.io:sub': 'organization:acme:project:*:workspace:tenant-prod-*:run_phase:*',
          },
        },
      },
    ]);
  });

  it('grants nothing by default: no managed policy, no inline policy, no boundary', () => {
    const { credentials, template } = standalone();
    const role = resource(template, 'AWS::IAM::Role', logicalId(credentials.role));

    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toBeUndefined();
    expect(role.Properties.PermissionsBoundary).toBeUndefined();
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  it('attaches exactly the policies, boundary and session length it is given', () => {
    const { credentials, template } = standalone((stack) => ({
      managedPolicies: [
        ManagedPolicy.fromManagedPolicyArn(
          stack,
          'Module',
          'arn:aws:iam::123456789012:policy/tcp-tenant-module',
        ),
      ],
      inlinePolicy: new PolicyDocument({
        statements: [new PolicyStatement({ actions: ['sts:GetCallerIdentity'], resources: ['*'] })],
      }),
      permissionsBoundary: ManagedPolicy.fromManagedPolicyArn(
        stack,
        'Boundary',
        'arn:aws:iam::123456789012:policy/tcp-boundary',
      ),
      maxSessionDuration: Duration.hours(2),
    }));

    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: ['arn:aws:iam::123456789012:policy/tcp-tenant-module'],
      Policies: [
        {
          PolicyName: 'TenantModule',
          PolicyDocument: {
            Statement: [{ Effect: 'Allow', Action: 'sts:GetCallerIdentity', Resource: '*' }],
          },
        },
      ],
      PermissionsBoundary: 'arn:aws:iam::123456789012:policy/tcp-boundary',
      MaxSessionDuration: 7200,
    });
    expect(trustOf(template, credentials.role)).toHaveLength(1);
  });

  it('keys the conditions by a Terraform Enterprise host and honours another audience', () => {
    const { credentials, template } = standalone({ hostname: 'tfe.example.com', audience: 'aws.tfe' });
    const sub = new Capture();

    template.hasResourceProperties('AWS::IAM::OIDCProvider', {
      Url: 'https://tfe.example.com',
      ClientIdList: ['aws.tfe'],
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectEquals({
            Effect: 'Allow',
            Action: WEB_IDENTITY,
            Principal: { Federated: ref(credentials.provider) },
            Condition: {
              StringEquals: { 'tfe.example.com:aud': 'aws.tfe' },
              StringLike: { 'tfe.example.com:sub': sub },
            },
          }),
        ],
      },
    });
    expect(sub.asString()).toBe('organization:acme:project:*:workspace:tenant-prod-*:run_phase:*');
  });

  it('creates no provider with existingProviderArn, and trusts that one', () => {
    const { credentials, template } = standalone({ existingProviderArn: PROVIDER_ARN });

    template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    expect(trustOf(template, credentials.role)).toEqual([
      expect.objectContaining({ Action: WEB_IDENTITY, Principal: { Federated: PROVIDER_ARN } }),
    ]);
  });

  it.each<[string, PartialProps, RegExp]>([
    ['an empty prefix', { workspaceNamePrefix: '' }, /workspaceNamePrefix must be a non-empty/],
    ['a prefix with a wildcard', { workspaceNamePrefix: 'tenant-*' }, /workspaceNamePrefix/],
    ['an organization with a wildcard', { organization: 'ac*' }, /organization must be/],
    ['a URL as hostname', { hostname: 'https://app.terraform.io' }, /hostname must be a bare host name/],
    ['a wildcard audience', { audience: 'aws.*' }, /audience must be a literal/],
    [
      'a provider ARN that is not one',
      { existingProviderArn: 'arn:aws:iam::123456789012:role/x' },
      /must be an IAM OIDC provider ARN/,
    ],
    [
      'the provider of another host',
      { existingProviderArn: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com' },
      /must be the provider of app\.terraform\.io/,
    ],
  ])('refuses %s', (_case, props, message) => {
    expect(() => standalone(props)).toThrow(message);
  });
});

describe('dynamic credentials in the control plane', () => {
  const { stack, template } = synthStack({ tfc: { organization: 'acme', dynamicCredentials: {} } });
  const credentials = stack.controlPlane.tfcDynamicCredentials;
  const triggerEnvironment = (t: Template, s: typeof stack) =>
    (
      resource(t, 'AWS::Lambda::Function', logicalId(s.controlPlane.flows.trigger.function)).Properties
        .Environment as { Variables: Record<string, unknown> }
    ).Variables;

  it('is exposed as a property and scoped to this environment’s tenant workspaces', () => {
    expect(credentials).toBeInstanceOf(TfcDynamicCredentials);
    expect(credentials?.subjectPattern).toBe(
      'organization:acme:project:*:workspace:tenant-test-*:run_phase:*',
    );
    template.resourceCountIs('AWS::IAM::OIDCProvider', 1);
  });

  it('gives the trigger the created role as TFC_AWS_RUN_ROLE_ARN, and outputs it', () => {
    if (!credentials) throw new Error('no dynamic credentials');

    expect(triggerEnvironment(template, stack).TFC_AWS_RUN_ROLE_ARN).toEqual(arnOf(credentials.role));
    template.hasOutput('TfcRunRoleArn', { Value: arnOf(credentials.role) });
  });

  it('creates nothing, and outputs nothing, when not enabled', () => {
    const plain = synthStack();

    expect(plain.stack.controlPlane.tfcDynamicCredentials).toBeUndefined();
    plain.template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    expect(Object.keys(plain.template.findOutputs('TfcRunRoleArn'))).toEqual([]);
    expect(triggerEnvironment(plain.template, plain.stack)).not.toHaveProperty('TFC_AWS_RUN_ROLE_ARN');
  });

  it('derives the host from a Terraform Enterprise address', () => {
    const tfe = synthStack({
      tfc: { organization: 'acme', address: 'https://tfe.example.com/', dynamicCredentials: {} },
    });

    const credentials = tfe.stack.controlPlane.tfcDynamicCredentials;
    if (!credentials) throw new Error('no dynamic credentials');

    tfe.template.hasResourceProperties('AWS::IAM::OIDCProvider', { Url: 'https://tfe.example.com' });
    expect(trustOf(tfe.template, credentials.role)).toEqual([
      expect.objectContaining({
        Condition: {
          StringEquals: { 'tfe.example.com:aud': 'aws.workload.identity' },
          StringLike: {
            'tfe.example.com:sub': 'organization:acme:project:*:workspace:tenant-test-*:run_phase:*',
          },
        },
      }),
    ]);
  });

  it('reuses an existing provider, attaches policies and a boundary given by ARN on the stack', () => {
    const reuse = synthStack({
      tfc: { organization: 'acme', dynamicCredentials: { existingProviderArn: PROVIDER_ARN } },
      tfcRunRoleManagedPolicyArns: ['arn:aws:iam::123456789012:policy/tcp-tenant-module'],
      tfcRunRolePermissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/tcp-boundary',
    });
    const role = reuse.stack.controlPlane.tfcDynamicCredentials?.role;
    if (!role) throw new Error('no run role');

    reuse.template.resourceCountIs('AWS::IAM::OIDCProvider', 0);
    expect(resource(reuse.template, 'AWS::IAM::Role', logicalId(role)).Properties).toMatchObject({
      ManagedPolicyArns: ['arn:aws:iam::123456789012:policy/tcp-tenant-module'],
      PermissionsBoundary: 'arn:aws:iam::123456789012:policy/tcp-boundary',
      AssumeRolePolicyDocument: {
        Statement: [expect.objectContaining({ Principal: { Federated: PROVIDER_ARN } })],
      },
    });
  });

  it('refuses an existing run role and dynamic credentials together', () => {
    expect(() =>
      synthStack({
        tfc: {
          organization: 'acme',
          awsRunRoleArn: 'arn:aws:iam::123456789012:role/tfc',
          dynamicCredentials: {},
        },
      }),
    ).toThrow(/set either tfc\.awsRunRoleArn .* or tfc\.dynamicCredentials .*, not both/);
  });

  it('refuses run role settings without dynamic credentials, and an address with a port', () => {
    expect(() =>
      synthStack({ tfcRunRoleManagedPolicyArns: ['arn:aws:iam::123456789012:policy/tcp-tenant-module'] }),
    ).toThrow(/need tfc\.dynamicCredentials/);
    expect(() =>
      synthStack({
        tfc: { organization: 'acme', address: 'https://tfe.example.com:8443', dynamicCredentials: {} },
      }),
    ).toThrow(/without a port/);
  });

  it('leaves every other resource alone: the base stack plus one provider and one role', () => {
    const plain = synthStack({ ...BASE_PROPS });
    const count = (t: Template) => Object.values(t.toJSON().Resources as Record<string, unknown>).length;

    expect(count(template) - count(plain.template)).toBe(2);
    expect(Object.keys(resourcesOfType(template, 'AWS::IAM::Role')).length).toBe(
      Object.keys(resourcesOfType(plain.template, 'AWS::IAM::Role')).length + 1,
    );
  });
});

describe('cdk-nag with dynamic credentials on', () => {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '../../cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  /** The app as bin/app.ts builds it from cdk.json, with the feature switched on by context. */
  const checkedApp = (context: Record<string, unknown>, cloudFormationValidation = false) => {
    const app = new App({
      context: {
        ...cdkJson.context,
        alarmEmail: 'oncall@example.com',
        ...SKIP_BUNDLING,
        ...context,
        ...(cloudFormationValidation ? { '@aws-cdk/core:validateAgainstDefaultRules': true } : {}),
      },
      builtinCloudFormationValidation: cloudFormationValidation,
    });
    const stack = buildControlPlaneApp(app);
    return { app, stack };
  };
  const findingsOf = (app: ReturnType<typeof checkedApp>['app']) =>
    new AwsSolutionsChecks(app)
      .validateScope(app)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath ?? ''}`));

  it('has zero findings, with no acknowledgement on the provider or the role', () => {
    const { app, stack } = checkedApp({
      tfcDynamicCredentials: 'true',
      tfcRunRoleManagedPolicyArns: 'arn:aws:iam::123456789012:policy/tcp-tenant-module',
    });
    const credentials = stack.controlPlane.tfcDynamicCredentials;
    if (!credentials) throw new Error('dynamic credentials not enabled');

    expect(findingsOf(app)).toEqual([]);
    expect(() => app.synth()).not.toThrow();
    const acknowledged = credentials.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY));
    expect(acknowledged).toEqual([]);
  });

  it('reports an AWS managed policy on the run role (IAM4) instead of hiding it', () => {
    const { app, stack } = checkedApp({
      tfcDynamicCredentials: true,
      tfcRunRoleManagedPolicyArns: 'arn:aws:iam::aws:policy/AdministratorAccess',
    });
    const role = stack.controlPlane.tfcDynamicCredentials?.role;

    expect(findingsOf(app)).toEqual([
      `AwsSolutions-IAM4[Policy::arn:aws:iam::aws:policy/AdministratorAccess] ${role?.node.path}/Resource`,
    ]);
  });

  it('passes aws-cdk-lib’s CloudFormation schema and lint checks, as errors', () => {
    const { app } = checkedApp({ tfcDynamicCredentials: true }, true);
    expect(() => app.synth()).not.toThrow();
  }, 120_000);
});
