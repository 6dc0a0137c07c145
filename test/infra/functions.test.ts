import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Runtime } from 'aws-cdk-lib/aws-lambda';
import { IDEMPOTENCY_TABLE_ACTIONS, TENANT_TABLE_ACTIONS } from '../../lambdas/core/table-access';
import { BUS_ENV } from '../../lambdas/handlers/contract';
import {
  BUS_ENV_VARS,
  ControlPlaneFunction,
  SDK_LEFT_TO_RUNTIME,
  FUNCTION_RUNTIME,
  TERRAFORM_MODULE_BUNDLE,
} from '../../lib';
import { COORDINATION_ACTIONS } from '../../lib/constructs/tenant-flows';
import packageJson from '../../package.json';
import {
  type Grants,
  arnOf,
  grantsOf,
  list,
  logicalId,
  ref,
  resource,
  resourcesOfType,
  synthStack,
} from './support';

const { stack, template } = synthStack();
const cp = stack.controlPlane;
const functions = cp.functions;
type Name = keyof typeof functions;

const grantsTo = (name: Name): Grants => {
  const fn = functions[name];
  if (!fn) throw new Error(`no function ${name}`);
  return grantsOf(template, fn.role);
};
const lambda = (name: Name) => {
  const fn = functions[name];
  if (!fn) throw new Error(`no function ${name}`);
  return resource(template, 'AWS::Lambda::Function', logicalId(fn.function)).Properties;
};

const BASE = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTelemetryRecords',
  'xray:PutTraceSegments',
];
/** The table key: Decrypt to read; writes also need data keys (CDK's grantEncryptDecrypt). */
const KMS_READ = ['kms:Decrypt'];
const KMS_WRITE = ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'];
const tenantTable = (name: keyof typeof TENANT_TABLE_ACTIONS) => [...TENANT_TABLE_ACTIONS[name]];
const sorted = (...groups: string[][]) => [...new Set(groups.flat())].sort();

describe('the Lambda construct', () => {
  it('gives every function the same defaults: newest Node.js, ARM64, tracing, Powertools', () => {
    expect(Object.keys(functions)).toHaveLength(22);
    for (const name of Object.keys(functions)) {
      const props = lambda(name);
      expect(props).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Environment: {
          Variables: expect.objectContaining({
            POWERTOOLS_SERVICE_NAME: 'tenant-control-plane',
            POWERTOOLS_METRICS_NAMESPACE: 'TenantControlPlane',
          }) as unknown,
        },
      });
    }
  });

  it('bundles every function minified, tree-shaken, with a linked source map kept off the cold start, the AWS SDK left to the runtime', () => {
    for (const [name, fn] of Object.entries(functions)) {
      expect({ name, ...fn.bundling }).toMatchObject({
        name,
        format: 'cjs',
        minify: true,
        mainFields: ['module', 'main'],
        sourceMap: true,
        sourcesContent: false,
        bundleAwsSDK: false,
      });
      // Linked: index.js.map ships next to index.js and is read only when asked for.
      expect(fn.bundling.sourceMapMode).toBeUndefined();
      // The AWS SDK the Node.js runtime ships, with the @smithy packages it is built on; nothing else.
      expect(fn.bundling.externalModules).toEqual(['@aws-sdk/*', '@smithy/*']);
      expect(fn.bundling.externalModules).toEqual([...SDK_LEFT_TO_RUNTIME]);
      expect(fn.bundling.nodeModules).toBeUndefined();
      // Parsing the map at every cold start costs import time (npm run bench -- --only bundles).
      expect(lambda(name).Environment).not.toMatchObject({
        Variables: { NODE_OPTIONS: expect.stringContaining('--enable-source-maps') as unknown },
      });
    }
  });

  it('pins the newest Node.js runtime aws-cdk-lib knows (nodejs20.x is deprecated)', () => {
    const nodeVersions = Runtime.ALL.filter((r) => /^nodejs\d+\.x$/.test(r.name)).map((r) =>
      Number(/\d+/.exec(r.name)?.[0]),
    );
    expect(FUNCTION_RUNTIME.name).toBe(`nodejs${Math.max(...nodeVersions)}.x`);
    expect(FUNCTION_RUNTIME.isVariable).toBe(false);
  });

  it("runs the unit suite's second pass on the runtime's Node.js major (npm run test:lambda-node)", () => {
    const major = /^nodejs(\d+)\.x$/.exec(FUNCTION_RUNTIME.name)?.[1];
    expect(packageJson.config.lambdaNode.split('.')[0]).toBe(major);
  });

  it('gives each function its own role and log group with retention, and no managed policy', () => {
    const roles = new Set(Object.values(functions).map((fn) => logicalId(fn.role)));
    expect(roles.size).toBe(22);
    for (const [name, fn] of Object.entries(functions)) {
      const role = resource(template, 'AWS::IAM::Role', logicalId(fn.role)).Properties;
      expect(role.ManagedPolicyArns).toBeUndefined();
      expect(lambda(name).LoggingConfig).toEqual({ LogGroup: ref(fn.logGroup) });
      expect(
        resource(template, 'AWS::Logs::LogGroup', logicalId(fn.logGroup)).Properties.RetentionInDays,
      ).toBe(30);
      expect(grantsTo(name).resourcesFor('logs:PutLogEvents')).toEqual([arnOf(fn.logGroup)]);
    }
  });

  it('sets each function’s environment to exactly what it uses', () => {
    const defaults = ['POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_METRICS_NAMESPACE', 'POWERTOOLS_SERVICE_NAME'];
    const tfc = [
      'TABLE_NAME',
      'TFC_TOKEN_SECRET_ARN',
      'TFC_ADDRESS',
      'TFC_ORGANIZATION',
      'ENVIRONMENT_NAME',
      'POLL_INTERVAL_SECONDS',
      'POLL_BUDGET',
      'ON_RUN_NEEDS_ATTENTION',
      'COORDINATION_TABLE_NAME',
      'TFC_MAX_CONCURRENT_RUNS',
      'ADMISSION_WAIT_SECONDS',
      'TFC_REQUESTS_PER_SECOND',
      'TFC_RUNS_LIST_PER_MINUTE',
    ];
    const history = ['HISTORY_TABLE_NAME', 'HISTORY_RETENTION_DAYS'];
    const links = ['TFC_ADDRESS', 'TFC_ORGANIZATION', 'ENVIRONMENT_NAME'];
    const writeApi = ['TABLE_NAME', 'IDEMPOTENCY_TABLE_NAME', ...history, ...links];
    const expected: Record<Name, string[]> = {
      createTenant: [...writeApi, 'CREATE_BUS_NAME'],
      updateTenant: [...writeApi, 'UPDATE_BUS_NAME'],
      deleteTenant: [...writeApi, 'DELETE_BUS_NAME'],
      getTenant: ['TABLE_NAME', ...links],
      listTenants: ['TABLE_NAME', ...links],
      getTenantHistory: ['TABLE_NAME', 'HISTORY_TABLE_NAME', ...links],
      getFleet: ['TABLE_NAME', ...links, 'TF_MODULE_DIR'],
      admit: [
        'TABLE_NAME',
        ...history,
        'COORDINATION_TABLE_NAME',
        'TFC_MAX_CONCURRENT_RUNS',
        'ADMISSION_WAIT_SECONDS',
      ],
      trigger: [
        ...tfc,
        ...history,
        'TF_MODULE_DIR',
        'TFC_NOTIFICATION_URL',
        'TFC_NOTIFICATION_TOKEN_SECRET_ARN',
      ],
      check: [...tfc, ...history],
      finalize: [...tfc, ...history, 'TOPIC_ARN'],
      decommission: ['TABLE_NAME', ...history, 'DELETE_BUS_NAME'],
      reconciler: [
        'TABLE_NAME',
        ...history,
        'CREATE_BUS_NAME',
        'UPDATE_BUS_NAME',
        'DELETE_BUS_NAME',
        'RECONCILE_REPUBLISH_AFTER_SECONDS',
        'RECONCILE_FAIL_AFTER_SECONDS',
        'TOPIC_ARN',
        'COORDINATION_TABLE_NAME',
      ],
      runNotifications: ['TABLE_NAME', 'ENVIRONMENT_NAME', 'TFC_NOTIFICATION_TOKEN_SECRET_ARN'],
    };
    for (const [name, variables] of Object.entries(expected)) {
      const env = (lambda(name).Environment as { Variables: Record<string, unknown> }).Variables;
      expect(Object.keys(env).sort()).toEqual(sorted(defaults, variables));
    }
    expect(BUS_ENV_VARS).toEqual(BUS_ENV);
  });

  it('bundles with esbuild: minified with source maps, the Terraform module copied in, its tests left out', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-bundle-'));
    try {
      const app = new App({ outdir, builtinCloudFormationValidation: false });
      const bundled = new Stack(app, 'Bundled');
      const fn = new ControlPlaneFunction(bundled, 'Fn', {
        entry: 'lambdas/handlers/api/get-tenant.ts',
        description: 'bundling test',
        bundledDirectories: [TERRAFORM_MODULE_BUNDLE],
      });
      app.synth();
      const code = resource(Template.fromStack(bundled), 'AWS::Lambda::Function', logicalId(fn.function))
        .Properties.Code as { S3Key: string };
      const asset = join(outdir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);

      expect(readdirSync(asset).sort()).toEqual(['index.js', 'index.js.map', 'terraform-module']);
      expect(readdirSync(join(asset, 'terraform-module')).sort()).toEqual(
        readdirSync(join(__dirname, '../../terraform-module/aws'))
          .filter((f) => f !== 'tests')
          .sort(),
      );
      expect(existsSync(join(asset, 'terraform-module/tests'))).toBe(false);
      // Minified: the handler, Powertools and the AWS SDK in a few long lines.
      const bundle = readFileSync(join(asset, 'index.js'), 'utf8');
      expect(bundle.length).toBeGreaterThan(100_000);
      expect(bundle.length / bundle.split('\n').length).toBeGreaterThan(1000);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('least privilege, per function', () => {
  it('lets every tenant writer append to the history table (PutItem only) and only the history route read it', () => {
    const writers: Name[] = [
      'createTenant',
      'updateTenant',
      'deleteTenant',
      'admit',
      'trigger',
      'check',
      'awaitRun',
      'finalize',
      'decommission',
      'reconciler',
      'rolloutStep',
    ];
    const touchesHistory = (name: Name, action: string) =>
      JSON.stringify(grantsTo(name).resourcesFor(action)).includes(logicalId(cp.tables.history));
    for (const name of Object.keys(functions)) {
      expect([name, touchesHistory(name, 'dynamodb:PutItem')]).toEqual([name, writers.includes(name)]);
      expect([name, touchesHistory(name, 'dynamodb:Query')]).toEqual([name, name === 'getTenantHistory']);
      for (const action of ['dynamodb:UpdateItem', 'dynamodb:DeleteItem']) {
        expect([name, action, touchesHistory(name, action)]).toEqual([name, action, false]);
      }
    }
    expect(grantsTo('getTenantHistory').actions).toEqual(
      sorted(BASE, KMS_READ, ['dynamodb:GetItem', 'dynamodb:Query']),
    );
  });

  it('lets get-tenant and list-tenants only read the tenant table, with the actions their code calls', () => {
    expect(grantsTo('getTenant').actions).toEqual(sorted(BASE, KMS_READ, ['dynamodb:GetItem']));
    expect(grantsTo('listTenants').actions).toEqual(
      sorted(BASE, KMS_READ, ['dynamodb:Query', 'dynamodb:Scan']),
    );
    // The fleet summary reads the status index only: Query, never a Scan of the table.
    expect(grantsTo('getFleet').actions).toEqual(sorted(BASE, KMS_READ, ['dynamodb:Query']));
    expect(grantsTo('getFleet').resourcesFor('dynamodb:Query')).toContainEqual({
      'Fn::Join': ['', [arnOf(cp.tables.tenants), '/index/*']],
    });
    for (const name of ['getTenant', 'listTenants', 'getFleet'] as const) {
      const tables = JSON.stringify(
        grantsTo(name).statements.filter((s) => list(s.Action).some((a) => a.startsWith('dynamodb:'))),
      );
      expect(tables).not.toContain(logicalId(cp.tables.idempotency));
    }
  });

  it.each([
    ['createTenant', 'create'],
    ['updateTenant', 'update'],
    ['deleteTenant', 'delete'],
  ] as const)('lets %s write both tables and put events on the %s bus only', (name, action) => {
    const granted = grantsTo(name);
    expect(granted.actions).toEqual(
      sorted(BASE, KMS_WRITE, tenantTable(name), [...IDEMPOTENCY_TABLE_ACTIONS], ['events:PutEvents']),
    );
    expect(granted.resourcesFor('events:PutEvents')).toEqual([arnOf(cp.buses.buses[action])]);
    expect(granted.resourcesFor('dynamodb:PutItem')).toEqual(
      expect.arrayContaining([arnOf(cp.tables.idempotency), arnOf(cp.tables.history)]),
    );
    expect(granted.resourcesFor('dynamodb:PutItem')).toHaveLength(2);
  });

  it('lets the flow steps update tenants and read the token secret; only finalize publishes', () => {
    const step = (name: 'trigger' | 'check' | 'finalize') =>
      sorted(BASE, KMS_WRITE, tenantTable(name), ['dynamodb:PutItem', 'secretsmanager:GetSecretValue']);
    expect(grantsTo('trigger').actions).toEqual(step('trigger'));
    expect(grantsTo('check').actions).toEqual(sorted(step('check'), [...COORDINATION_ACTIONS.release]));
    expect(grantsTo('finalize').actions).toEqual(
      sorted(step('finalize'), [...COORDINATION_ACTIONS.release], ['sns:Publish']),
    );
    for (const name of ['check', 'finalize'] as const) {
      expect(grantsTo(name).resourcesFor('secretsmanager:GetSecretValue')).toEqual([ref(cp.tfcToken.secret)]);
    }
    // Trigger also registers the run notification configuration, with its HMAC token.
    expect(grantsTo('trigger').resourcesFor('secretsmanager:GetSecretValue')).toEqual([
      ref(cp.tfcToken.secret),
      ref(cp.runNotifications!.tokenSecret),
    ]);
    expect(grantsTo('finalize').resourcesFor('sns:Publish')).toEqual([ref(cp.lifecycleTopic.topic)]);
  });

  it('lets admit read and update tenants (no TFC token) and queue flows on the coordination table', () => {
    const granted = grantsTo('admit');
    expect(granted.actions).toEqual(
      sorted(BASE, KMS_WRITE, tenantTable('admit'), [...COORDINATION_ACTIONS.admit], ['dynamodb:PutItem']),
    );
    expect(granted.resourcesFor('dynamodb:PutItem')).toEqual(
      expect.arrayContaining([arnOf(cp.tables.coordination), arnOf(cp.tables.history)]),
    );
    expect(granted.resourcesFor('dynamodb:DeleteItem')).toEqual([arnOf(cp.tables.coordination)]);
  });

  it('grants on the coordination table only the actions each function calls there, to those functions only', () => {
    const coordination = JSON.stringify(arnOf(cp.tables.coordination));
    const onCoordination = (name: Name) =>
      grantsTo(name)
        .statements.filter((s) => JSON.stringify(s.Resource).includes(coordination))
        .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
        .sort();
    expect(onCoordination('admit')).toEqual([...COORDINATION_ACTIONS.admit].sort());
    expect(onCoordination('trigger')).toEqual(['dynamodb:UpdateItem']);
    expect(onCoordination('check')).toEqual([...COORDINATION_ACTIONS.release].sort());
    expect(onCoordination('finalize')).toEqual([...COORDINATION_ACTIONS.release].sort());
    expect(onCoordination('reconciler')).toEqual([...COORDINATION_ACTIONS.reconcile].sort());
    for (const name of [
      'createTenant',
      'updateTenant',
      'deleteTenant',
      'getTenant',
      'listTenants',
      'getFleet',
      'decommission',
    ] as const) {
      expect(onCoordination(name)).toEqual([]);
    }
  });

  it('lets decommission read, update (never put or delete tenants), append history and publish to the delete bus only', () => {
    const granted = grantsTo('decommission');
    expect(granted.resourcesFor('dynamodb:PutItem')).toEqual([arnOf(cp.tables.history)]);
    expect(granted.actions).toEqual(
      sorted(BASE, KMS_WRITE, tenantTable('decommission'), ['dynamodb:PutItem', 'events:PutEvents']),
    );
    expect(granted.resourcesFor('events:PutEvents')).toEqual([arnOf(cp.buses.buses.delete)]);
    expect(granted.resourcesFor('dynamodb:Query')).toContainEqual({
      'Fn::Join': ['', [arnOf(cp.tables.tenants), '/index/*']],
    });
  });

  it('lets the reconciler publish to the three buses and the topic, and describe the three flows’ executions', () => {
    const granted = grantsTo('reconciler');
    expect(granted.actions).toEqual(
      sorted(
        BASE,
        KMS_WRITE,
        tenantTable('reconciler'),
        [...COORDINATION_ACTIONS.reconcile],
        ['dynamodb:PutItem', 'events:PutEvents', 'sns:Publish', 'states:DescribeExecution'],
      ),
    );
    expect(granted.resourcesFor('sns:Publish')).toEqual([ref(cp.lifecycleTopic.topic)]);
    expect(granted.resourcesFor('events:PutEvents')).toEqual(
      (['create', 'update', 'delete'] as const).map((a) => arnOf(cp.buses.buses[a])),
    );
    const executions = JSON.stringify(granted.resourcesFor('states:DescribeExecution'));
    for (const machine of Object.values(cp.flows.stateMachines)) {
      expect(executions).toContain(
        `":execution:",{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logicalId(machine)}"}]}]},":*"`,
      );
    }
  });

  it('schedules decommission daily and the reconciler every 15 minutes', () => {
    const schedules = Object.values(resourcesOfType(template, 'AWS::Events::Rule'))
      .filter((r) => r.Properties.ScheduleExpression)
      .map((r) => [
        r.Properties.ScheduleExpression,
        (r.Properties.Targets as { Arn: unknown }[]).map((t) => t.Arn),
      ]);
    expect(schedules).toEqual(
      expect.arrayContaining([
        ['cron(0 3 * * ? *)', [arnOf(cp.operations.decommission.function)]],
        ['rate(15 minutes)', [arnOf(cp.operations.reconciler.function)]],
      ]),
    );
    expect(schedules).toHaveLength(2);
    expect(lambda('reconciler').Environment).toMatchObject({
      Variables: { RECONCILE_REPUBLISH_AFTER_SECONDS: '600', RECONCILE_FAIL_AFTER_SECONDS: '86400' },
    });
  });
});
