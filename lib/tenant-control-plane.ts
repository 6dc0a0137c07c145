import { Duration } from 'aws-cdk-lib';
import type { Schedule } from 'aws-cdk-lib/aws-events';
import type { IInterfaceVpcEndpoint, IVpc, SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { workspaceNamePrefix } from '../lambdas/core/workspace';
import {
  DEFAULT_POLL_BUDGET,
  DEFAULT_POLL_INTERVAL_SECONDS,
  DEFAULT_TFC_ADDRESS,
} from '../lambdas/core/defaults';
import { ACTIONS } from '../lambdas/core/flows';
import { FLOW_ENV } from '../lambdas/handlers/flow/contract';
import { DEFAULT_HISTORY_RETENTION_DAYS } from '../lambdas/core/history';
import { AdminHost } from './constructs/admin-host';
import { type AlarmNotificationOptions, ControlPlaneAlarms } from './constructs/control-plane-alarms';
import { ControlPlaneDashboard } from './constructs/control-plane-dashboard';
import type { ControlPlaneFunction } from './constructs/control-plane-function';
import { LifecycleTopic } from './constructs/lifecycle-topic';
import { ControlPlaneNetwork } from './constructs/network';
import { type ApiThrottling, PrivateApi } from './constructs/private-api';
import { type DeliveryRetryOptions, RequestBuses } from './constructs/request-buses';
import { TenantFlows, type TfcLimits, type TfcSettings } from './constructs/tenant-flows';
import { TenantOperations } from './constructs/tenant-operations';
import { type RolloutOptions, TenantRollouts } from './constructs/tenant-rollouts';
import { RunNotifications } from './constructs/run-notifications';
import { TenantTables } from './constructs/tenant-tables';
import {
  TfcDynamicCredentials,
  type TfcDynamicCredentialsOptions,
} from './constructs/tfc-dynamic-credentials';
import { TfcTokenSecret } from './constructs/tfc-token-secret';

/** Terraform Cloud settings of the control plane: the flows' settings, plus the run role it may create. */
export interface ControlPlaneTfcSettings extends TfcSettings {
  /**
   * Create HCP Terraform dynamic provider credentials ({@link TfcDynamicCredentials}): the OIDC provider of
   * the TFC host and a run role that only runs of this organization's `tenant-<environmentName>-*`
   * workspaces can assume. Its ARN becomes every tenant workspace's `TFC_AWS_RUN_ROLE_ARN`, so
   * `awsRunRoleArn` must not be set too. The role gets only the policies given here.
   * @default - none: the workspaces use `awsRunRoleArn`, or get their AWS credentials some other way
   */
  readonly dynamicCredentials?: TfcDynamicCredentialsOptions;
  /**
   * Run notifications ({@link RunNotifications}): a public receiver (a Lambda function URL) that TFC calls the
   * moment a run ends, so a waiting flow wakes at once instead of at its next poll. The trigger function
   * registers the receiver's URL and HMAC token on the environment's TFC project. Off: no receiver, and
   * the flows learn of each run's end by polling alone.
   * @default true
   */
  readonly notifications?: boolean;
}

/** Everything a platform team sets to run the control plane in its account. */
export interface TenantControlPlaneProps extends AlarmNotificationOptions {
  /** Deployment environment (`dev`, `prod`): passed to every tenant's Terraform run. */
  readonly environmentName: string;
  /** Terraform Cloud / Terraform Enterprise organization and address, and how runs get AWS credentials. */
  readonly tfc: ControlPlaneTfcSettings;
  /**
   * Retention of every log group (functions, state machines, API access logs, VPC flow logs).
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * An existing VPC for the API endpoint and the admin host.
   * @default - a new VPC with private isolated subnets only
   */
  readonly vpc?: IVpc;
  /**
   * Subnets of the endpoints and the admin host.
   * @default - the VPC's private subnets
   */
  readonly subnets?: SubnetSelection;
  /**
   * An existing `execute-api` interface endpoint (a VPC holds one endpoint with private DNS per service).
   * @default - a new endpoint
   */
  readonly executeApiEndpoint?: IInterfaceVpcEndpoint;
  /**
   * Whether to create the Session Manager endpoints (ssm, ssmmessages, ec2messages).
   * @default true
   */
  readonly ssmEndpoints?: boolean;
  /**
   * Whether to run the admin host.
   * @default true
   */
  readonly adminHost?: boolean;
  /**
   * Customer-managed key for the tables and the topics.
   * @default - a new key with yearly rotation
   */
  readonly encryptionKey?: IKey;
  /**
   * Customer-managed key for the TFC token secret only, so that only the functions that read the token
   * (trigger, check, finalize) can decrypt it.
   * @default - a new key with yearly rotation
   */
  readonly tokenEncryptionKey?: IKey;
  /**
   * Days each tenant history item (request, run, status change) is kept (DynamoDB TTL).
   * @default 90
   */
  readonly historyRetentionDays?: number;
  /**
   * The tenant flows: run checks, Terraform Cloud's limits, event delivery.
   * @default - see {@link FlowOptions}
   */
  readonly flows?: FlowOptions;
  /**
   * The private API's stage.
   * @default - see {@link ApiOptions}
   */
  readonly api?: ApiOptions;
  /**
   * The scheduled jobs: decommission sweep and reconciler.
   * @default - see {@link OperationsOptions}
   */
  readonly operations?: OperationsOptions;
  /**
   * How fleet rollouts pace themselves.
   * @default - look at updating tenants every 30 s, at busy ones every 60 s, skip a tenant busy 10 times
   */
  readonly rollouts?: RolloutOptions;
}

/** The tenant flows' settings. */
export interface FlowOptions {
  /**
   * Wait between two checks of a Terraform run.
   * @default Duration.seconds(120)
   */
  readonly pollInterval?: Duration;
  /**
   * Checks per run before the flow gives up and fails the tenant.
   * @default 90
   */
  readonly pollBudget?: number;
  /**
   * Terraform Cloud's limits: runs in flight (admission control) and the user's request budget.
   * @default - 10 runs, 30 requests/s, 30 runs lists/min, queued flows ask again every 20 s
   */
  readonly tfcLimits?: TfcLimits;
  /**
   * How EventBridge retries starting a flow.
   * @default - 10 attempts within 2 hours
   */
  readonly delivery?: DeliveryRetryOptions;
}

/** The private API's stage settings. */
export interface ApiOptions {
  /**
   * Stage throttling of the API.
   * @default - 50 requests/s, bursts of 100
   */
  readonly throttling?: ApiThrottling;
  /**
   * Whether to create API Gateway's account-wide logging role (off when the account already has one).
   * @default true
   */
  readonly cloudWatchRole?: boolean;
}

/** The scheduled jobs' settings. */
export interface OperationsOptions {
  /**
   * When the decommission sweep runs.
   * @default - daily at 03:00 UTC
   */
  readonly decommissionSchedule?: Schedule;
  /**
   * Age of an in-progress tenant without a running execution at which the reconciler republishes its event.
   * @default Duration.minutes(10)
   */
  readonly reconcileRepublishAfter?: Duration;
  /**
   * Age of an in-progress tenant at which the reconciler fails it.
   * @default Duration.hours(24)
   */
  readonly reconcileFailAfter?: Duration;
}

/**
 * The tenant control plane: private API ► per-action buses ► one shared flow definition in three state
 * machines ► Terraform Cloud, plus the daily decommission sweep, the reconciler, the admin host and alarms.
 * Embed it in any stack; {@link TenantControlPlaneStack} is the ready-made one.
 */
export class TenantControlPlane extends Construct {
  public readonly encryptionKey: IKey;
  /** The TFC token secret's own key. */
  public readonly tfcTokenKey: IKey;
  public readonly network: ControlPlaneNetwork;
  public readonly tables: TenantTables;
  public readonly lifecycleTopic: LifecycleTopic;
  public readonly tfcToken: TfcTokenSecret;
  /** The OIDC provider and run role, when `tfc.dynamicCredentials` is set. */
  public readonly tfcDynamicCredentials?: TfcDynamicCredentials;
  /** The run notification receiver and its HMAC token, unless `tfc.notifications` is false. */
  public readonly runNotifications?: RunNotifications;
  public readonly flows: TenantFlows;
  public readonly buses: RequestBuses;
  public readonly api: PrivateApi;
  public readonly rollouts: TenantRollouts;
  public readonly operations: TenantOperations;
  public readonly adminHost?: AdminHost;
  public readonly alarms: ControlPlaneAlarms;
  public readonly dashboard: ControlPlaneDashboard;

  public constructor(scope: Construct, id: string, props: TenantControlPlaneProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const historyRetentionDays = props.historyRetentionDays ?? DEFAULT_HISTORY_RETENTION_DAYS;
    const flows = props.flows ?? {};

    this.encryptionKey =
      props.encryptionKey ??
      new Key(this, 'Key', {
        description: 'Tenant control plane: tenant table, idempotency table, topics',
        enableKeyRotation: true,
      });
    this.tfcTokenKey =
      props.tokenEncryptionKey ??
      new Key(this, 'TokenKey', {
        description: 'Tenant control plane: the TFC token secret only',
        enableKeyRotation: true,
      });
    this.network = new ControlPlaneNetwork(this, 'Network', {
      ...(props.vpc ? { vpc: props.vpc } : {}),
      ...(props.subnets ? { subnets: props.subnets } : {}),
      ...(props.executeApiEndpoint ? { executeApiEndpoint: props.executeApiEndpoint } : {}),
      ...(props.ssmEndpoints === undefined ? {} : { ssmEndpoints: props.ssmEndpoints }),
      logRetention,
    });
    this.tables = new TenantTables(this, 'Tables', { encryptionKey: this.encryptionKey });
    this.lifecycleTopic = new LifecycleTopic(this, 'Lifecycle', { encryptionKey: this.encryptionKey });
    this.tfcToken = new TfcTokenSecret(this, 'TfcToken', { encryptionKey: this.tfcTokenKey });

    const { dynamicCredentials, notifications = true, ...tfc } = props.tfc;
    if (dynamicCredentials) {
      if (tfc.awsRunRoleArn) {
        throw new Error(
          `${this.node.path}: set either tfc.awsRunRoleArn (an existing run role) or tfc.dynamicCredentials (a new one), not both`,
        );
      }
      this.tfcDynamicCredentials = new TfcDynamicCredentials(this, 'TfcDynamicCredentials', {
        ...dynamicCredentials,
        organization: tfc.organization,
        hostname: tfcHostname(this, tfc.address ?? 'https://app.terraform.io'),
        workspaceNamePrefix: workspaceNamePrefix(props.environmentName),
      });
    }

    this.flows = new TenantFlows(this, 'Flows', {
      table: this.tables.tenants,
      coordinationTable: this.tables.coordination,
      ...(flows.tfcLimits ? { limits: flows.tfcLimits } : {}),
      tokenSecret: this.tfcToken.secret,
      lifecycleTopic: this.lifecycleTopic.topic,
      tfc: this.tfcDynamicCredentials
        ? { ...tfc, awsRunRoleArn: this.tfcDynamicCredentials.role.roleArn }
        : tfc,
      environmentName: props.environmentName,
      pollInterval: flows.pollInterval ?? Duration.seconds(DEFAULT_POLL_INTERVAL_SECONDS),
      pollBudget: flows.pollBudget ?? DEFAULT_POLL_BUDGET,
      logRetention,
    });
    if (notifications) {
      this.runNotifications = new RunNotifications(this, 'RunNotifications', {
        table: this.tables.tenants,
        stateMachines: Object.values(this.flows.stateMachines),
        environmentName: props.environmentName,
        encryptionKey: this.encryptionKey,
        logRetention,
      });
      // Only Trigger starts runs, so only Trigger registers the notification configuration (and its token).
      this.flows.trigger
        .addEnvironment(FLOW_ENV.notificationUrl, this.runNotifications.notificationUrl)
        .bindSecret(this.runNotifications.tokenSecret, FLOW_ENV.notificationTokenSecret);
    }
    this.buses = new RequestBuses(this, 'Buses', {
      stateMachines: this.flows.stateMachines,
      ...flows.delivery,
    });
    this.rollouts = new TenantRollouts(this, 'Rollouts', {
      ...props.rollouts,
      table: this.tables.tenants,
      historyTable: this.tables.history,
      historyRetentionDays,
      rolloutsTable: this.tables.rollouts,
      updateBus: this.buses.buses.update,
      lifecycleTopic: this.lifecycleTopic.topic,
      logRetention,
      ...(tfc.moduleVersionLabel ? { moduleVersionLabel: tfc.moduleVersionLabel } : {}),
    });
    this.api = new PrivateApi(this, 'Api', {
      rollouts: {
        table: this.tables.rollouts,
        stateMachine: this.rollouts.stateMachine,
        topic: this.lifecycleTopic.topic,
      },
      endpoint: this.network.executeApiEndpoint,
      table: this.tables.tenants,
      idempotencyTable: this.tables.idempotency,
      historyTable: this.tables.history,
      historyRetentionDays,
      runLinks: {
        tfcAddress: tfc.address ?? DEFAULT_TFC_ADDRESS,
        tfcOrganization: tfc.organization,
        environmentName: props.environmentName,
      },
      buses: this.buses.buses,
      logRetention,
      ...(tfc.moduleVersionLabel ? { moduleVersionLabel: tfc.moduleVersionLabel } : {}),
      ...props.api,
    });
    this.operations = new TenantOperations(this, 'Operations', {
      table: this.tables.tenants,
      coordinationTable: this.tables.coordination,
      buses: this.buses.buses,
      stateMachines: this.flows.stateMachines,
      lifecycleTopic: this.lifecycleTopic.topic,
      logRetention,
      ...props.operations,
    });
    // Every other tenant write appends its history in the same transaction.
    for (const fn of [
      this.flows.admit,
      this.flows.trigger,
      this.flows.check,
      this.flows.awaitRun,
      this.flows.finalize,
      this.operations.decommission,
      this.operations.reconciler,
    ]) {
      fn.bindHistory(this.tables.history, historyRetentionDays);
    }
    if (props.adminHost ?? true) {
      this.adminHost = new AdminHost(this, 'AdminHost', {
        vpc: this.network.vpc,
        subnets: this.network.subnets,
        api: this.api.api,
      });
    }

    this.alarms = new ControlPlaneAlarms(this, 'Alarms', {
      stateMachines: Object.fromEntries(ACTIONS.map((a) => [a, this.flows.stateMachines[a]])),
      functions: this.functions,
      deadLetterQueues: {
        ...Object.fromEntries(ACTIONS.map((a) => [`${a}Flow`, this.buses.deadLetterQueues[a].queue])),
        ...Object.fromEntries(this.operations.deadLetterQueues.map((q) => [q.node.id, q.queue])),
      },
      api: this.api.api,
      signatureRejections: this.runNotifications !== undefined,
      encryptionKey: this.encryptionKey,
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
      ...(props.alarmEmail ? { alarmEmail: props.alarmEmail } : {}),
    });
    this.dashboard = new ControlPlaneDashboard(this, 'Dashboard', {
      stateMachines: Object.fromEntries(ACTIONS.map((a) => [a, this.flows.stateMachines[a]])),
      functions: this.functions,
      tfcFunctions: [this.flows.trigger, this.flows.check, this.flows.finalize],
      deadLetterQueues: {
        ...Object.fromEntries(ACTIONS.map((a) => [`${a}Flow`, this.buses.deadLetterQueues[a].queue])),
        ...Object.fromEntries(this.operations.deadLetterQueues.map((q) => [q.node.id, q.queue])),
      },
      api: this.api.api,
      alarms: this.alarms.alarms,
    });
  }

  /** Every function of the control plane, by name. */
  public get functions(): Readonly<Record<string, ControlPlaneFunction>> {
    return {
      createTenant: this.api.functions.create,
      listTenants: this.api.functions.list,
      getTenant: this.api.functions.get,
      getTenantHistory: this.api.functions.history,
      getFleet: this.api.functions.fleet,
      updateTenant: this.api.functions.update,
      deleteTenant: this.api.functions.delete,
      startRollout: this.api.functions.startRollout,
      listRollouts: this.api.functions.listRollouts,
      getRollout: this.api.functions.getRollout,
      pauseRollout: this.api.functions.pauseRollout,
      resumeRollout: this.api.functions.resumeRollout,
      cancelRollout: this.api.functions.cancelRollout,
      rolloutStep: this.rollouts.step,
      admit: this.flows.admit,
      trigger: this.flows.trigger,
      check: this.flows.check,
      awaitRun: this.flows.awaitRun,
      finalize: this.flows.finalize,
      decommission: this.operations.decommission,
      reconciler: this.operations.reconciler,
      ...(this.runNotifications ? { runNotifications: this.runNotifications.receiver } : {}),
    };
  }
}

/** The host of the TFC address: the workload identity tokens' issuer is `https://<host>`, without a port. */
function tfcHostname(scope: Construct, address: string): string {
  const url = new URL(address);
  if (url.port) {
    throw new Error(
      `${scope.node.path}: dynamic credentials need a TFC address without a port (an IAM OIDC provider URL has none), got '${address}'`,
    );
  }
  return url.hostname;
}
