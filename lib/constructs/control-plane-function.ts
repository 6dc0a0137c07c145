import { Duration, Stack } from 'aws-cdk-lib';
import { CfnTable, type TableBase } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import {
  type IGrantable,
  type IPrincipal,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { Architecture, Code, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { type ITopic, TopicGrants } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { HISTORY_APPEND_ACTIONS } from '../../lambdas/core/table-access';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../lambdas/core/telemetry';
import { TABLE_ENV, TOPIC_ENV } from '../../lambdas/handlers/contract';
import { acknowledge, wildcardActionFinding, wildcardResourceFinding } from '../nag';
import { PROJECT_ROOT, projectPath } from '../paths';

/** Powertools service name and metrics namespace (`lambdas/core/telemetry.ts`). */
export { METRICS_NAMESPACE, SERVICE_NAME };

/**
 * The Terraform module that functions reading it (the trigger uploads it to TFC, the fleet and rollout
 * routes hash it) ship inside their bundle, at `TF_MODULE_DIR`; the module's `terraform test` files stay
 * behind.
 */
export const TERRAFORM_MODULE_BUNDLE: BundledDirectory = {
  source: 'terraform-module/aws',
  target: 'terraform-module',
  exclude: ['tests'],
};

/**
 * The Lambda runtime of every function: the newest Node.js runtime aws-cdk-lib offers that AWS has not
 * deprecated (nodejs20.x is). Pinned rather than `NODEJS_LATEST` so an aws-cdk-lib upgrade never changes
 * the runtime silently.
 */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/**
 * The packages every function takes from the Lambda runtime instead of its bundle: the AWS SDK for
 * JavaScript v3 the Node.js runtime ships (its clients, `lib-dynamodb` and the `@smithy/*` packages they
 * are built on; NodejsFunction's own default for `@aws-sdk/*`, with its SDK_V3_EXCLUDE_SMITHY_PACKAGES
 * flag's `@smithy/*`). Powertools' idempotency and parameters utilities resolve the same clients there.
 */
export const SDK_LEFT_TO_RUNTIME = ['@aws-sdk/*', '@smithy/*'] as const;

/**
 * How every function is bundled: the one place these options are written. NodejsFunction turns them into
 * esbuild arguments; the bench (`npm run bench -- --only bundles`) and the bundle test build each function
 * from the same object, so the sizes and cold imports they report are those of what CDK deploys.
 *
 * The AWS SDK is the runtime's (SDK_LEFT_TO_RUNTIME), decided from the bench, which builds both ways: the
 * bundled SDK (about 230 KiB of every function) keeps no function under 500 KiB but `admit`, while the
 * runtime's brings them all under it; the cold import of the runtime's SDK files costs tens of
 * milliseconds more and stays under 150 ms (README "Function bundles"). The calls the functions make
 * (DynamoDB items and transactions, EventBridge PutEvents, SNS Publish, Step Functions task tokens and
 * executions, Secrets Manager reads) are years older than any runtime's SDK.
 * The source map is a linked `index.js.map` next to the bundle, read only when NODE_OPTIONS has
 * `--enable-source-maps`, which FUNCTION_ENVIRONMENT leaves out: parsing the map at every cold start
 * costs import time. Set it on one function to get original file names in its stack traces.
 * package.json declares the project's modules free of import side effects (`sideEffects: false`), so
 * esbuild leaves out whatever an entry imports but does not use.
 */
export const FUNCTION_BUNDLING = {
  format: OutputFormat.CJS,
  // Runs on the Lambda runtime and on Node 20, where the handlers are also tested and run locally.
  target: 'node20',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  bundleAwsSDK: false,
  externalModules: [...SDK_LEFT_TO_RUNTIME],
  // ESM entry points first: esbuild drops unused exports of ESM-first packages (zod).
  mainFields: ['module', 'main'],
} as const satisfies BundlingOptions;

/** The environment every function starts with, before its own variables and the `bind*` calls. */
export const FUNCTION_ENVIRONMENT: Readonly<Record<string, string>> = {
  POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
  POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
  POWERTOOLS_LOG_LEVEL: 'INFO',
};

/** A directory of the project copied into a function's bundle, next to `index.js`. */
export interface BundledDirectory {
  /** Directory relative to the project root, e.g. `terraform-module/aws`. */
  readonly source: string;
  /** Directory name inside the bundle, e.g. `terraform-module`. */
  readonly target: string;
  /**
   * Entries of `source` left out of the bundle (top-level names).
   * @default - none
   */
  readonly exclude?: string[];
}

export interface ControlPlaneFunctionProps {
  /** Handler file relative to the project root, e.g. `lambdas/handlers/api/get-tenant.ts`; exports `handler`. */
  readonly entry: string;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  /**
   * Maximum run time of one invocation.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * Memory in MB (CPU scales with it).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Environment variables that imply no permission. Variables that do (table, bus, topic, secret) are set
   * by the `bind*` methods, which grant what they imply.
   * @default - only the defaults (Powertools settings)
   */
  readonly environment?: Record<string, string>;
  /**
   * Retention of the function's log group.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Project directories shipped inside the bundle (copied by an esbuild `afterBundling` hook).
   * @default - none
   */
  readonly bundledDirectories?: BundledDirectory[];
  /**
   * Concurrent executions reserved for the function, which are also its cap (a throttle).
   * @default - none: the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
}

/** DynamoDB actions that write (they need the table key for data keys, not just Decrypt). */
const TABLE_WRITE_ACTIONS = new Set([
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:TransactWriteItems',
]);

/** How a function may use a table. */
export interface TableBinding {
  /**
   * Exactly the DynamoDB actions the function's code calls, e.g. `['dynamodb:GetItem']`; Query also
   * covers the table's indexes. Takes the place of `access`.
   * @default - as `access` says
   */
  readonly actions?: readonly string[];
  /**
   * `read`: Get/Query/Scan on the table and its indexes. `readWrite`: also Put/Update/Delete/Batch writes.
   * `append`: PutItem only (no read), for a log such as the tenant history. Prefer `actions`.
   * @default 'read'
   */
  readonly access?: 'read' | 'readWrite' | 'append';
  /**
   * Environment variable holding the table name.
   * @default 'TABLE_NAME'
   */
  readonly envVar?: string;
  /**
   * Single write actions granted on top of `read`, e.g. `['dynamodb:UpdateItem']`.
   * @default - none
   */
  readonly alsoAllow?: string[];
}

/**
 * The one Lambda construct of the control plane. It carries every default — Node.js 24 on ARM64, active
 * tracing, Powertools settings, a log group with retention, esbuild bundling (FUNCTION_BUNDLING: minified,
 * tree-shaken, linked source map, AWS SDK bundled so the tested SDK version runs) — so each function's definition says only
 * what is special about it.
 *
 * Each function gets its own role: logs to its own log group, X-Ray, and what its `bind*` calls grant.
 * A `bind*` method sets the environment variable and grants the permission it implies, in one place.
 *
 * When the stack is synthesized without bundling (`aws:cdk:bundling-stacks` excludes it, as in the infra
 * tests), the code is a placeholder, like CDK's own skipped assets: the template is not deployable then
 * anyway, and handler sources need not exist or compile.
 */
export class ControlPlaneFunction extends Construct implements IGrantable {
  public readonly function: NodejsFunction;
  /** What the function is bundled with: FUNCTION_BUNDLING, plus the hooks copying `bundledDirectories`. */
  public readonly bundling: BundlingOptions;
  public readonly role: Role;
  public readonly logGroup: LogGroup;
  /** Absolute path of the handler file. */
  public readonly entry: string;

  public constructor(scope: Construct, id: string, props: ControlPlaneFunctionProps) {
    super(scope, id);
    this.entry = projectPath(props.entry);

    this.logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention ?? RetentionDays.ONE_MONTH });
    // Its own role instead of AWSLambdaBasicExecutionRole: logs only to its own log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    this.logGroup.grantWrite(this.role);

    this.bundling = {
      ...FUNCTION_BUNDLING,
      ...(props.bundledDirectories?.length
        ? { commandHooks: copyDirectoriesHook(props.bundledDirectories) }
        : {}),
    };
    const bundle = Stack.of(this).bundlingRequired
      ? {
          entry: this.entry,
          projectRoot: PROJECT_ROOT,
          depsLockFilePath: projectPath('package-lock.json'),
          bundling: this.bundling,
        }
      : { code: Code.fromInline('exports.handler = async () => { throw new Error("not bundled"); };') };

    this.function = new NodejsFunction(this, 'Function', {
      ...bundle,
      handler: 'index.handler',
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      ...(props.reservedConcurrentExecutions === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      environment: {
        ...FUNCTION_ENVIRONMENT,
        ...props.environment,
      },
    });

    acknowledge(this.role, {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions; every other statement of this role names its resources.',
    });
  }

  public get grantPrincipal(): IPrincipal {
    return this.role;
  }

  /** Sets an environment variable that implies no permission. */
  public addEnvironment(name: string, value: string): this {
    this.function.addEnvironment(name, value);
    return this;
  }

  /** Sets the table's name in `envVar` and grants the access it names (and the table key's use). */
  public bindTable(table: TableBase, binding: TableBinding): this {
    this.addEnvironment(binding.envVar ?? TABLE_ENV.tenants, table.tableName);
    if (binding.actions) return this.grantTableActions(table, binding.actions);
    if (binding.access === 'readWrite') table.grants.readWriteData(this);
    else if (binding.access === 'read') table.grants.readData(this);
    else {
      table.grants.actions(this, 'dynamodb:PutItem');
      table.encryptionKey?.grantEncryptDecrypt(this);
    }
    if (binding.alsoAllow?.length) {
      table.grants.actions(this, ...binding.alsoAllow);
      table.encryptionKey?.grantEncryptDecrypt(this);
    }
    if (hasSecondaryIndexes(table)) {
      acknowledge(this.role, {
        id: wildcardResourceFinding(this, `${table.tableArn}/index/*`),
        reason: `Query on the secondary indexes of table ${table.node.id}: the grant covers that table's own indexes (table/index/*), no other table.`,
      });
    }
    if (table.encryptionKey && (binding.access !== 'read' || binding.alsoAllow?.length)) {
      acknowledge(
        this.role,
        ...['kms:GenerateDataKey*', 'kms:ReEncrypt*'].map((action) => ({
          id: wildcardActionFinding(action),
          reason: `Writes to table ${table.node.id} need its customer-managed key for data keys (GenerateDataKey*, ReEncrypt*), granted on that one key only.`,
        })),
      );
    }
    return this;
  }

  /**
   * The tenant history table every tenant write appends to, in the same transaction: `HISTORY_TABLE_NAME`
   * with PutItem only, and `HISTORY_RETENTION_DAYS`.
   */
  public bindHistory(table: TableBase, retentionDays: number): this {
    this.addEnvironment(TABLE_ENV.historyRetentionDays, String(retentionDays));
    return this.bindTable(table, { actions: HISTORY_APPEND_ACTIONS, envVar: TABLE_ENV.history });
  }

  /** Grants exactly `actions` on the table (and its indexes, for Query), and the table key's use they need. */
  private grantTableActions(table: TableBase, actions: readonly string[]): this {
    const onIndexes = actions.includes('dynamodb:Query') && hasSecondaryIndexes(table);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [...actions],
        resources: [table.tableArn, ...(onIndexes ? [`${table.tableArn}/index/*`] : [])],
      }),
    );
    if (onIndexes) {
      acknowledge(this.role, {
        id: wildcardResourceFinding(this, `${table.tableArn}/index/*`),
        reason: `Query on the secondary indexes of table ${table.node.id}: the grant covers that table's own indexes (table/index/*), no other table.`,
      });
    }
    const writes = actions.some((a) => TABLE_WRITE_ACTIONS.has(a));
    if (table.encryptionKey && writes) {
      table.encryptionKey.grantEncryptDecrypt(this);
      acknowledge(
        this.role,
        ...['kms:GenerateDataKey*', 'kms:ReEncrypt*'].map((action) => ({
          id: wildcardActionFinding(action),
          reason: `Writes to table ${table.node.id} need its customer-managed key for data keys (GenerateDataKey*, ReEncrypt*), granted on that one key only.`,
        })),
      );
    } else if (table.encryptionKey) {
      table.encryptionKey.grantDecrypt(this);
    }
    return this;
  }

  /**
   * Sets the table's name in `envVar` and grants exactly `actions` on that table: not its indexes, not a
   * customer-managed key (the table must not have one).
   */
  public bindTableActions(table: TableBase, envVar: string, actions: readonly string[]): this {
    if (table.encryptionKey)
      throw new Error(`${this.node.path}: bindTableActions needs a table without a customer-managed key`);
    this.addEnvironment(envVar, table.tableName);
    table.grants.actions(this, ...actions);
    return this;
  }

  /** Sets the bus name in `envVar` and grants events:PutEvents on that bus only. */
  public bindEventBus(bus: IEventBus, envVar: string): this {
    this.addEnvironment(envVar, bus.eventBusName);
    bus.grantPutEventsTo(this);
    return this;
  }

  /** Sets the topic ARN in `envVar` and grants sns:Publish on that topic only (and its key's use). */
  public bindTopic(topic: ITopic, envVar: string = TOPIC_ENV): this {
    this.addEnvironment(envVar, topic.topicArn);
    TopicGrants.fromTopic(topic).publish(this);
    if (topic.masterKey) {
      acknowledge(this.role, {
        id: wildcardActionFinding('kms:GenerateDataKey*'),
        reason: `Publishing to the encrypted topic ${topic.node.id} needs a data key from its customer-managed key, granted on that one key only.`,
      });
    }
    return this;
  }

  /**
   * Sets the secret's ARN in `envVar` and grants secretsmanager:GetSecretValue on that secret only, plus
   * kms:Decrypt on its key when called through Secrets Manager.
   */
  public bindSecret(secret: ISecret, envVar: string): this {
    this.addEnvironment(envVar, secret.secretArn);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [secret.secretArn] }),
    );
    if (secret.encryptionKey) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [secret.encryptionKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
          },
        }),
      );
    }
    return this;
  }
}

/** Whether the table has indexes, for which CDK's grants add `<table arn>/index/*`. */
function hasSecondaryIndexes(table: TableBase): boolean {
  const cfn = table.node.defaultChild;
  if (!(cfn instanceof CfnTable)) return false;
  const stack = Stack.of(table);
  const count = (value: unknown) => (Array.isArray(value) ? value.length : 0);
  return (
    count(stack.resolve(cfn.globalSecondaryIndexes)) + count(stack.resolve(cfn.localSecondaryIndexes)) > 0
  );
}

/** An esbuild `afterBundling` hook copying project directories into the bundle. */
function copyDirectoriesHook(directories: BundledDirectory[]) {
  return {
    beforeBundling: (): string[] => [],
    beforeInstall: (): string[] => [],
    afterBundling: (inputDir: string, outputDir: string): string[] =>
      directories.flatMap((d) => [
        `cp -R "${inputDir}/${d.source}" "${outputDir}/${d.target}"`,
        ...(d.exclude ?? []).map((name) => `rm -rf "${outputDir}/${d.target}/${name}"`),
      ]),
  };
}
