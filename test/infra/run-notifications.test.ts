import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUN_NOTIFICATION_PATH } from '../../lambdas/core/run-notification';
import { buildControlPlaneApp } from '../../lib';
import {
  NOTIFICATION_TOKEN_LENGTH,
  RECEIVER_RESERVED_CONCURRENCY,
} from '../../lib/constructs/run-notifications';
import { arnOf, grantsOf, logicalId, ref, resource, resourcesOfType, synthStack, testApp } from './support';

const cdkJson = JSON.parse(readFileSync(join(__dirname, '../../cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

const { stack, template } = synthStack();
const cp = stack.controlPlane;
const notifications = cp.runNotifications;
if (!notifications) throw new Error('run notifications are on by default');
const receiver = notifications.receiver;

describe('run notification receiver', () => {
  it('is a control plane function with reserved concurrency as its throttle', () => {
    expect(cp.functions.runNotifications).toBe(receiver);
    const fn = resource(template, 'AWS::Lambda::Function', logicalId(receiver.function)).Properties;
    expect(fn).toMatchObject({
      ReservedConcurrentExecutions: RECEIVER_RESERVED_CONCURRENCY,
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
    });
    expect(RECEIVER_RESERVED_CONCURRENCY).toBe(10);
  });

  it('is reachable through a function URL without IAM authentication (the HMAC signature authenticates)', () => {
    const urls = Object.values(resourcesOfType(template, 'AWS::Lambda::Url'));
    expect(urls).toHaveLength(1);
    expect(urls[0]?.Properties).toMatchObject({
      AuthType: 'NONE',
      TargetFunctionArn: arnOf(receiver.function),
    });
    // The one public endpoint: only the receiver's URL may be invoked by anyone, and only through the URL.
    const publicPermissions = Object.values(resourcesOfType(template, 'AWS::Lambda::Permission'))
      .filter((p) => p.Properties.Principal === '*')
      .map((p) => p.Properties);
    expect(publicPermissions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Action: 'lambda:InvokeFunctionUrl', FunctionUrlAuthType: 'NONE' }),
        expect.objectContaining({ Action: 'lambda:InvokeFunction', InvokedViaFunctionUrl: true }),
      ]),
    );
    expect(publicPermissions).toHaveLength(2);
    for (const permission of publicPermissions) {
      expect(permission.FunctionName).toEqual(arnOf(receiver.function));
    }
  });

  it('is granted exactly: GetItem on the tenant table, the token secret, SendTaskSuccess on the three flows', () => {
    const granted = grantsOf(template, receiver.role);
    expect(granted.actions).toEqual(
      [
        'dynamodb:GetItem',
        'kms:Decrypt',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'secretsmanager:GetSecretValue',
        'states:SendTaskSuccess',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ].sort(),
    );
    expect(granted.resourcesFor('dynamodb:GetItem')).toEqual([arnOf(cp.tables.tenants)]);
    expect(granted.resourcesFor('secretsmanager:GetSecretValue')).toEqual([ref(notifications.tokenSecret)]);
    expect(granted.resourcesFor('states:SendTaskSuccess')).toEqual(
      Object.values(cp.flows.stateMachines).map(ref),
    );
    // The tables' key (the token secret's key too), never the TFC token's own key.
    expect(JSON.stringify(granted.resourcesFor('kms:Decrypt'))).not.toContain(logicalId(cp.tfcTokenKey));
  });

  it('keeps the HMAC token in a secret generated at deploy, encrypted with the control plane key, never output', () => {
    const secret = resource(template, 'AWS::SecretsManager::Secret', logicalId(notifications.tokenSecret));
    expect(secret.Properties).toMatchObject({
      GenerateSecretString: { PasswordLength: NOTIFICATION_TOKEN_LENGTH, ExcludePunctuation: true },
      KmsKeyId: arnOf(cp.encryptionKey),
    });
    expect(secret.Properties.GenerateSecretString).not.toHaveProperty('SecretStringTemplate');
    expect(secret.Properties).not.toHaveProperty('SecretString');
    const outputs = JSON.stringify(template.toJSON().Outputs ?? {});
    expect(outputs).not.toContain(logicalId(notifications.tokenSecret));
  });

  it('gives the trigger function (only) the URL to register and read access to the token', () => {
    const env = (fn: typeof receiver) =>
      (
        resource(template, 'AWS::Lambda::Function', logicalId(fn.function)).Properties.Environment as {
          Variables: Record<string, unknown>;
        }
      ).Variables;
    expect(env(cp.flows.trigger)).toMatchObject({
      TFC_NOTIFICATION_URL: {
        'Fn::Join': [
          '',
          [
            { 'Fn::GetAtt': [logicalId(notifications.functionUrl), 'FunctionUrl'] },
            RUN_NOTIFICATION_PATH.slice(1),
          ],
        ],
      },
      TFC_NOTIFICATION_TOKEN_SECRET_ARN: ref(notifications.tokenSecret),
    });
    for (const [name, fn] of Object.entries(cp.functions)) {
      const reads = JSON.stringify(grantsOf(template, fn.role).resourcesFor('secretsmanager:GetSecretValue'));
      expect({
        name,
        readsToken: reads.includes(logicalId(notifications.tokenSecret)),
        registers: 'TFC_NOTIFICATION_URL' in env(fn),
      }).toEqual({
        name,
        readsToken: name === 'trigger' || name === 'runNotifications',
        registers: name === 'trigger',
      });
    }
  });
});

describe('run notifications switched off (tfcNotifications=false)', () => {
  it('has no receiver, no URL, no token secret, no alarm and no notification settings on the trigger', () => {
    const off = synthStack({ tfc: { organization: 'acme', notifications: false } });
    const plane = off.stack.controlPlane;
    expect(plane.runNotifications).toBeUndefined();
    expect(plane.functions).not.toHaveProperty('runNotifications');
    expect(resourcesOfType(off.template, 'AWS::Lambda::Url')).toEqual({});
    expect(Object.keys(resourcesOfType(off.template, 'AWS::SecretsManager::Secret'))).toEqual([
      logicalId(plane.tfcToken.secret),
    ]);
    const alarms = Object.values(resourcesOfType(off.template, 'AWS::CloudWatch::Alarm'));
    expect(alarms.filter((a) => a.Properties.MetricName === 'NotificationSignatureRejected')).toEqual([]);
    const trigger = resource(off.template, 'AWS::Lambda::Function', logicalId(plane.flows.trigger.function))
      .Properties.Environment as { Variables: Record<string, unknown> };
    expect(trigger.Variables).not.toHaveProperty('TFC_NOTIFICATION_URL');
    expect(trigger.Variables).not.toHaveProperty('TFC_NOTIFICATION_TOKEN_SECRET_ARN');
  });

  it('is cdk-nag clean either way', () => {
    for (const tfcNotifications of [true, false]) {
      const app = testApp({ ...cdkJson.context, tfcNotifications, alarmEmail: 'oncall@example.com' });
      // The app as bin/app.ts builds it, with the AwsSolutions pack: a finding fails synthesis.
      buildControlPlaneApp(app);
      expect(() => app.synth()).not.toThrow();
    }
  });
});
