import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ContextConfigError, controlPlaneStackProps, readControlPlaneConfig } from '../../lib';

const cdkJson = JSON.parse(readFileSync(join(__dirname, '../../cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};
const from = (context: Record<string, unknown>) => readControlPlaneConfig((key) => context[key]);
const problemsOf = (context: Record<string, unknown>): string[] => {
  try {
    from(context);
  } catch (error) {
    if (error instanceof ContextConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ContextConfigError');
};

describe('app configuration from cdk context', () => {
  it('accepts cdk.json as committed, with defaults for the optional keys', () => {
    const config = from(cdkJson.context);

    expect(config).toEqual({
      environmentName: 'dev',
      tfcAddress: 'https://app.terraform.io',
      tfcOrganization: 'my-organization',
      historyRetentionDays: 90,
      pollIntervalSeconds: 120,
      pollBudget: 90,
      onRunNeedsAttention: 'discard',
      tfcMaxConcurrentRuns: 10,
      tfcRequestsPerSecond: 30,
      tfcRunsListPerMinute: 30,
      admissionWaitSeconds: 20,
      logRetentionDays: RetentionDays.ONE_MONTH,
      ssmVpcEndpoints: true,
      adminHost: true,
      reconcileRepublishAfterSeconds: 600,
      rolloutBusySeconds: 60,
      rolloutMaxBusyAttempts: 10,
      rolloutWatchSeconds: 30,
      reconcileFailAfterSeconds: 86400,
      apiThrottleRateLimit: 50,
      apiThrottleBurstLimit: 100,
      apiGatewayCloudWatchRole: true,
      tfcDynamicCredentials: false,
      tfcNotifications: true,
    });
    expect(controlPlaneStackProps(config)).toMatchObject({
      environmentName: 'dev',
      tfc: { address: 'https://app.terraform.io', organization: 'my-organization' },
      flows: { pollInterval: Duration.seconds(120), pollBudget: 90 },
      logRetention: RetentionDays.ONE_MONTH,
    });
  });

  it('needs only environmentName and tfcOrganization', () => {
    expect(from({ environmentName: 'prod', tfcOrganization: 'acme' })).toMatchObject({
      tfcAddress: 'https://app.terraform.io',
      pollIntervalSeconds: 120,
      pollBudget: 90,
      logRetentionDays: 30,
    });
  });

  it('accepts -c key=value strings and passes the optional keys through', () => {
    const config = from({
      ...cdkJson.context,
      pollIntervalSeconds: '60',
      logRetentionDays: '365',
      ssmVpcEndpoints: 'false',
      vpcId: 'vpc-0123456789abcdef0',
      executeApiVpcEndpointId: 'vpce-0123456789abcdef0',
      alarmEmail: 'oncall@example.com',
      tfcAwsRunRoleArn: 'arn:aws:iam::123456789012:role/tfc-runs',
    });

    expect(config).toMatchObject({ pollIntervalSeconds: 60, logRetentionDays: 365, ssmVpcEndpoints: false });
    expect(controlPlaneStackProps(from({ ...cdkJson.context, onRunNeedsAttention: 'leave' }))).toMatchObject({
      tfc: { onRunNeedsAttention: 'leave' },
    });
    expect(controlPlaneStackProps(config)).toMatchObject({
      vpcId: 'vpc-0123456789abcdef0',
      executeApiVpcEndpointId: 'vpce-0123456789abcdef0',
      alarmEmail: 'oncall@example.com',
      ssmEndpoints: false,
      tfc: { awsRunRoleArn: 'arn:aws:iam::123456789012:role/tfc-runs' },
    });
  });

  it('reports every problem at once, naming each key', () => {
    const problems = problemsOf({
      tfcAddress: 'http://app.terraform.io',
      tfcOrganization: 'my org',
      pollIntervalSeconds: 120,
      pollBudget: 'ninety',
      onRunNeedsAttention: 'ignore',
      logRetentionDays: 31,
      ssmVpcEndpoints: 'yes',
    });

    expect(problems).toEqual([
      expect.stringMatching(/^environmentName is required/),
      expect.stringMatching(/^tfcAddress must be an https:\/\/ URL/),
      expect.stringMatching(/^tfcOrganization must be/),
      expect.stringMatching(/^pollBudget must be an integer/),
      "onRunNeedsAttention must be one of discard, leave, got 'ignore'",
      expect.stringMatching(/^logRetentionDays must be one of/),
      expect.stringMatching(/^ssmVpcEndpoints must be true or false/),
    ]);
    expect(() => from({})).toThrow(/invalid cdk context:\n {2}- environmentName is required/);
  });

  describe('Terraform Cloud limits', () => {
    it('pass through to the stack as tfcLimits', () => {
      const config = from({
        environmentName: 'prod',
        tfcOrganization: 'acme',
        tfcMaxConcurrentRuns: '3',
        tfcRequestsPerSecond: 20,
        tfcRunsListPerMinute: '15',
        admissionWaitSeconds: 45,
      });
      expect(controlPlaneStackProps(config).flows?.tfcLimits).toEqual({
        maxConcurrentRuns: 3,
        requestsPerSecond: 20,
        runsListPerMinute: 15,
        admissionWait: Duration.seconds(45),
      });
    });

    it.each([
      ['tfcMaxConcurrentRuns', '0', 1, 1000],
      ['tfcMaxConcurrentRuns', '-3', 1, 1000],
      ['tfcMaxConcurrentRuns', '2.5', 1, 1000],
      ['tfcMaxConcurrentRuns', 'ten', 1, 1000],
      ['tfcMaxConcurrentRuns', 100000, 1, 1000],
      ['tfcRequestsPerSecond', '1', 2, 1000],
      ['tfcRequestsPerSecond', '30.5', 2, 1000],
      ['tfcRequestsPerSecond', 5000, 2, 1000],
      ['tfcRunsListPerMinute', '0', 2, 1000],
      ['tfcRunsListPerMinute', 'lots', 2, 1000],
      ['admissionWaitSeconds', '0', 1, 900],
      ['admissionWaitSeconds', 3600, 1, 900],
    ])('refuse %s = %p, naming it and its bounds', (key, value, min, max) => {
      expect(problemsOf({ environmentName: 'prod', tfcOrganization: 'acme', [key]: value })).toEqual([
        `${key} must be an integer from ${min} to ${max}, got '${String(value)}'`,
      ]);
    });
  });

  describe('dynamic provider credentials', () => {
    const policy = 'arn:aws:iam::123456789012:policy/tcp-tenant-module';
    const boundary = 'arn:aws:iam::123456789012:policy/tcp-boundary';
    const provider = 'arn:aws:iam::123456789012:oidc-provider/app.terraform.io';

    it('are off by default: no dynamicCredentials in the stack props', () => {
      const props = controlPlaneStackProps(from(cdkJson.context));

      expect(props.tfc).not.toHaveProperty('dynamicCredentials');
      expect(props).not.toHaveProperty('tfcRunRoleManagedPolicyArns');
    });

    it('turn on with tfcDynamicCredentials, with comma-separated policy ARNs, a boundary and a provider', () => {
      const config = from({
        ...cdkJson.context,
        tfcDynamicCredentials: 'true',
        tfcRunRoleManagedPolicyArns: ` ${policy} , arn:aws:iam::aws:policy/ReadOnlyAccess`,
        tfcRunRolePermissionsBoundaryArn: boundary,
        tfcOidcProviderArn: provider,
      });

      expect(config).toMatchObject({
        tfcDynamicCredentials: true,
        tfcRunRoleManagedPolicyArns: [policy, 'arn:aws:iam::aws:policy/ReadOnlyAccess'],
        tfcRunRolePermissionsBoundaryArn: boundary,
        tfcOidcProviderArn: provider,
      });
      const props = controlPlaneStackProps(config);
      expect(props.tfc).toEqual({
        address: 'https://app.terraform.io',
        organization: 'my-organization',
        onRunNeedsAttention: 'discard',
        notifications: true,
        dynamicCredentials: { existingProviderArn: provider },
      });
      expect(props).toMatchObject({
        tfcRunRoleManagedPolicyArns: [policy, 'arn:aws:iam::aws:policy/ReadOnlyAccess'],
        tfcRunRolePermissionsBoundaryArn: boundary,
      });
    });

    it('accept cdk.json booleans and arrays, and create a new provider without tfcOidcProviderArn', () => {
      const config = from({
        ...cdkJson.context,
        tfcDynamicCredentials: true,
        tfcRunRoleManagedPolicyArns: [policy],
      });

      expect(config.tfcRunRoleManagedPolicyArns).toEqual([policy]);
      expect(controlPlaneStackProps(config).tfc.dynamicCredentials).toEqual({});
    });

    it('name each malformed value', () => {
      expect(
        problemsOf({
          ...cdkJson.context,
          tfcDynamicCredentials: 'yes',
          tfcRunRoleManagedPolicyArns: `${policy},arn:aws:iam::123456789012:role/not-a-policy,`,
          tfcRunRolePermissionsBoundaryArn: 'tcp-boundary',
          tfcOidcProviderArn: 'arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com',
        }),
      ).toEqual([
        "tfcDynamicCredentials must be true or false, got 'yes'",
        'tfcOidcProviderArn must be the OIDC provider of app.terraform.io (…:oidc-provider/app.terraform.io)',
        "tfcRunRoleManagedPolicyArns must be comma-separated IAM managed policy ARNs, got 'arn:aws:iam::123456789012:role/not-a-policy,'",
        "tfcRunRolePermissionsBoundaryArn must be an IAM managed policy ARN, got 'tcp-boundary'",
        'tfcOidcProviderArn needs tfcDynamicCredentials=true (it configures the run role)',
        'tfcRunRoleManagedPolicyArns needs tfcDynamicCredentials=true (it configures the run role)',
        'tfcRunRolePermissionsBoundaryArn needs tfcDynamicCredentials=true (it configures the run role)',
      ]);
    });

    it('refuse an existing run role, or a TFC address with a port, alongside them', () => {
      expect(
        problemsOf({
          ...cdkJson.context,
          tfcDynamicCredentials: true,
          tfcAwsRunRoleArn: 'arn:aws:iam::123456789012:role/tfc-runs',
          tfcAddress: 'https://tfe.example.com:8443',
        }),
      ).toEqual([
        'tfcDynamicCredentials needs a tfcAddress without a port (an IAM OIDC provider URL has none)',
        'tfcDynamicCredentials creates the run role: leave tfcAwsRunRoleArn unset',
      ]);
    });
  });

  it('turns run notifications off with tfcNotifications=false, and refuses anything but a boolean', () => {
    for (const value of [false, 'false']) {
      const config = from({ ...cdkJson.context, tfcNotifications: value });
      expect(config.tfcNotifications).toBe(false);
      expect(controlPlaneStackProps(config).tfc.notifications).toBe(false);
    }
    expect(from({ ...cdkJson.context, tfcNotifications: 'true' }).tfcNotifications).toBe(true);
    expect(problemsOf({ ...cdkJson.context, tfcNotifications: 'off' })).toEqual([
      "tfcNotifications must be true or false, got 'off'",
    ]);
  });

  it('refuses combinations that cannot work', () => {
    expect(problemsOf({ ...cdkJson.context, executeApiVpcEndpointId: 'vpce-0123456789abcdef0' })).toEqual([
      'executeApiVpcEndpointId needs vpcId (its VPC)',
    ]);
    expect(
      problemsOf({
        ...cdkJson.context,
        reconcileRepublishAfterSeconds: 3600,
        reconcileFailAfterSeconds: 1800,
      }),
    ).toEqual(['reconcileFailAfterSeconds must be larger than reconcileRepublishAfterSeconds']);
  });
});
