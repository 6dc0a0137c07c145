import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  AccessLogFormat,
  AuthorizationType,
  EndpointType,
  type IModel,
  type JsonSchema,
  JsonSchemaVersion,
  LambdaIntegration,
  LogGroupLogDestination,
  MethodLoggingLevel,
  type MethodOptions,
  ResponseType,
  RestApi,
} from 'aws-cdk-lib/aws-apigateway';
import type { TableBase } from 'aws-cdk-lib/aws-dynamodb';
import type { IInterfaceVpcEndpoint } from 'aws-cdk-lib/aws-ec2';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import {
  AccountRootPrincipal,
  AnyPrincipal,
  Effect,
  type IPrincipal,
  PolicyDocument,
  PolicyStatement,
} from 'aws-cdk-lib/aws-iam';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { z } from 'zod';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import {
  HISTORY_TABLE_ACTIONS,
  IDEMPOTENCY_TABLE_ACTIONS,
  ROLLOUT_TABLE_ACTIONS,
  TENANT_TABLE_ACTIONS,
} from '../../lambdas/core/table-access';
import {
  BUS_ENV,
  moduleEnvironment,
  TABLE_ENV,
  tfcLocationEnvironment,
} from '../../lambdas/handlers/contract';
import { ROLLOUT_ENV } from '../../lambdas/handlers/rollouts/contract';
import { API_ROUTES, type RouteDefinition, type RouteName } from '../../lambdas/core/api-routes';
import type { Action } from '../../lambdas/core/flows';
import { DEFAULT_HISTORY_RETENTION_DAYS } from '../../lambdas/core/history';
import { acknowledge, managedPolicyFinding } from '../nag';
import { ControlPlaneFunction, TERRAFORM_MODULE_BUNDLE } from './control-plane-function';

/** Environment variable naming each action's bus (`lambdas/handlers/contract.ts`). */
export const BUS_ENV_VARS: Readonly<Record<Action, string>> = BUS_ENV;

/** The API's routes (`lambdas/core/api-routes.ts`), one function each. */
export type ApiRoute = RouteName;

/** Each route's function, by its name in `TenantControlPlane.functions` (the key of its table actions). */
export const API_FUNCTION_NAMES = {
  create: 'createTenant',
  list: 'listTenants',
  get: 'getTenant',
  history: 'getTenantHistory',
  update: 'updateTenant',
  delete: 'deleteTenant',
  fleet: 'getFleet',
  startRollout: 'startRollout',
  listRollouts: 'listRollouts',
  getRollout: 'getRollout',
  pauseRollout: 'pauseRollout',
  resumeRollout: 'resumeRollout',
  cancelRollout: 'cancelRollout',
} as const satisfies Readonly<Record<ApiRoute, string>>;

/** What the rollout routes work with. */
export interface RolloutResources {
  readonly table: TableBase;
  readonly stateMachine: IStateMachine;
  /** Where RolloutStarted is published. */
  readonly topic: ITopic;
}

/** What a tenant answer needs to link a run to its page in Terraform Cloud. */
export interface RunLinkSettings {
  /** TFC / Terraform Enterprise base address. */
  readonly tfcAddress: string;
  readonly tfcOrganization: string;
  /** Environment name, part of every workspace name. */
  readonly environmentName: string;
}

/** Stage-wide request rate limits. */
export interface ApiThrottling {
  /**
   * Steady-state requests per second.
   * @default 50
   */
  readonly rateLimit?: number;
  /**
   * Burst of requests above the steady rate.
   * @default 100
   */
  readonly burstLimit?: number;
}

export interface PrivateApiProps {
  /** The `execute-api` interface endpoint: the only way in. */
  readonly endpoint: IInterfaceVpcEndpoint;
  /** The tenant table. */
  readonly table: TableBase;
  /** Idempotency-Key records of the write routes. */
  readonly idempotencyTable: TableBase;
  /** Tenant history: write routes append to it, the history route reads it. */
  readonly historyTable: TableBase;
  /**
   * Days a history item is kept.
   * @default 90
   */
  readonly historyRetentionDays?: number;
  /** Where answers link runs to. */
  readonly runLinks: RunLinkSettings;
  /**
   * Label in front of the module's content hash, as the flows' trigger is given it: the fleet route names
   * the current module version from the same module files and label.
   * @default - no label
   */
  readonly moduleVersionLabel?: string;
  /** Each action's request bus; a write route may publish to its own bus only. */
  readonly buses: Readonly<Record<Action, IEventBus>>;
  /** The rollouts table, state machine and topic of the rollout routes. */
  readonly rollouts: RolloutResources;
  /**
   * Stage throttling.
   * @default - 50 requests/s, bursts of 100
   */
  readonly throttling?: ApiThrottling;
  /**
   * Retention of the access logs and the functions' logs.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Whether to create the account-wide role API Gateway needs to write logs
   * (`AWS::ApiGateway::Account`). Turn off when the account already has it.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
  /**
   * Name of the stage, part of every URL.
   * @default 'v1'
   */
  readonly stageName?: string;
}

/**
 * The tenant API: a private REST API reachable only through the `execute-api` VPC endpoint (resource policy:
 * allow from that endpoint, deny anything else), IAM (SigV4) auth on every method, request validation
 * against the same schemas the handlers use, access logs, tracing and throttling. Gateway errors use the
 * handlers' error body, `{ "error": { "code", "message" } }`.
 */
export class PrivateApi extends Construct {
  public readonly api: RestApi;
  public readonly functions: Readonly<Record<ApiRoute, ControlPlaneFunction>>;

  public constructor(scope: Construct, id: string, props: PrivateApiProps) {
    super(scope, id);
    const logRetention = props.logRetention ?? RetentionDays.ONE_MONTH;
    const vpce = props.endpoint.vpcEndpointId;
    const retentionDays = props.historyRetentionDays ?? DEFAULT_HISTORY_RETENTION_DAYS;
    // One function per route of the table: reads get the tenant table only (and the history route the
    // history table); a write also gets the idempotency table, history append and its own action's bus.
    const build = (route: RouteDefinition): ControlPlaneFunction => {
      const fn = new ControlPlaneFunction(this, constructId(route.handlerFile), {
        entry: `lambdas/handlers/api/${route.handlerFile}`,
        description: `${route.method} ${route.path}: ${route.summary}`,
        // API Gateway gives up after 29 s.
        timeout: Duration.seconds(25),
        logRetention,
        environment: {
          ...tfcLocationEnvironment({
            address: props.runLinks.tfcAddress,
            organization: props.runLinks.tfcOrganization,
            environment: props.runLinks.environmentName,
          }),
          ...(route.readsModule ? moduleEnvironment(props.moduleVersionLabel) : {}),
        },
        ...(route.readsModule ? { bundledDirectories: [TERRAFORM_MODULE_BUNDLE] } : {}),
      });
      const user = API_FUNCTION_NAMES[route.name];
      if (route.access === 'rollout') return bindRolloutRoute(fn, route, props);
      const tenantTable = { actions: TENANT_TABLE_ACTIONS[user as keyof typeof TENANT_TABLE_ACTIONS] };
      if (route.access === 'write') {
        if (!route.action) throw new Error(`${this.node.path}: write route ${route.name} names no action`);
        fn.bindTable(props.table, tenantTable)
          .bindTable(props.idempotencyTable, {
            actions: IDEMPOTENCY_TABLE_ACTIONS,
            envVar: TABLE_ENV.idempotency,
          })
          .bindHistory(props.historyTable, retentionDays)
          .bindEventBus(props.buses[route.action], BUS_ENV[route.action]);
      } else {
        fn.bindTable(props.table, tenantTable);
        if (route.readsHistory) {
          fn.bindTable(props.historyTable, {
            actions: HISTORY_TABLE_ACTIONS.getTenantHistory,
            envVar: TABLE_ENV.history,
          });
        }
      }
      return fn;
    };
    this.functions = Object.fromEntries(API_ROUTES.map((r) => [r.name, build(r)])) as Record<
      ApiRoute,
      ControlPlaneFunction
    >;

    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: logRetention,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The resource policy's two halves: invoke allowed through the control plane's endpoint, denied otherwise.
    const invokeFromEndpoint = (
      sid: string,
      effect: Effect,
      principal: IPrincipal,
      test: 'StringEquals' | 'StringNotEquals',
    ) =>
      new PolicyStatement({
        sid,
        effect,
        principals: [principal],
        actions: ['execute-api:Invoke'],
        resources: ['execute-api:/*'],
        conditions: { [test]: { 'aws:SourceVpce': vpce } },
      });
    this.api = new RestApi(this, 'Api', {
      restApiName: `${Stack.of(this).stackName}-tenants`,
      description: 'Tenant control plane API (private, IAM auth)',
      endpointConfiguration: { types: [EndpointType.PRIVATE], vpcEndpoints: [props.endpoint] },
      policy: new PolicyDocument({
        statements: [
          invokeFromEndpoint(
            'AllowFromControlPlaneEndpoint',
            Effect.ALLOW,
            new AccountRootPrincipal(),
            'StringEquals',
          ),
          invokeFromEndpoint('DenyFromAnywhereElse', Effect.DENY, new AnyPrincipal(), 'StringNotEquals'),
        ],
      }),
      defaultMethodOptions: { authorizationType: AuthorizationType.IAM },
      cloudWatchRole: props.cloudWatchRole ?? true,
      deployOptions: {
        stageName: props.stageName ?? 'v1',
        tracingEnabled: true,
        metricsEnabled: true,
        loggingLevel: MethodLoggingLevel.ERROR,
        // Request and response bodies carry tenant variables: never in execution logs.
        dataTraceEnabled: false,
        throttlingRateLimit: props.throttling?.rateLimit ?? 50,
        throttlingBurstLimit: props.throttling?.burstLimit ?? 100,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields({
          caller: true,
          httpMethod: true,
          ip: true,
          protocol: true,
          requestTime: true,
          resourcePath: true,
          responseLength: true,
          status: true,
          user: true,
        }),
      },
    });

    const validator = this.api.addRequestValidator('Validator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const model = (modelId: string, schema: JsonSchema): IModel =>
      this.api.addModel(modelId, { contentType: 'application/json', schema });
    for (const route of API_ROUTES) {
      const requestParameters: Record<string, boolean> = {
        ...Object.fromEntries(
          Object.keys(route.pathParameters?.shape ?? {}).map((k) => [`method.request.path.${k}`, true]),
        ),
        ...Object.fromEntries(
          Object.keys(route.query?.shape ?? {}).map((k) => [`method.request.querystring.${k}`, false]),
        ),
        ...(route.idempotent ? { 'method.request.header.Idempotency-Key': false } : {}),
      };
      const options: MethodOptions = {
        requestValidator: validator,
        ...(Object.keys(requestParameters).length ? { requestParameters } : {}),
        ...(route.body
          ? {
              requestModels: {
                'application/json': model(
                  `${constructId(route.name)}TenantRequest`,
                  requestSchema(route.body(noToday)),
                ),
              },
            }
          : {}),
      };
      this.api.root
        .resourceForPath(route.path)
        .addMethod(
          route.method,
          new LambdaIntegration(this.functions[route.name].function, { allowTestInvoke: false }),
          options,
        );
    }

    // Gateway-made errors in the handlers' error body. messageString is already a quoted JSON string;
    // gateway response templates only substitute variables (no VTL), so nothing else is interpolated.
    const errorBody = (code: string) => ({
      'application/json': `{"error":{"code":"${code}","message":$context.error.messageString}}`,
    });
    const gatewayErrors: [id: string, type: ResponseType, code: string][] = [
      ['BadRequestBody', ResponseType.BAD_REQUEST_BODY, 'VALIDATION_ERROR'],
      ['BadRequestParameters', ResponseType.BAD_REQUEST_PARAMETERS, 'VALIDATION_ERROR'],
      ['Default4xx', ResponseType.DEFAULT_4XX, '$context.error.responseType'],
      ['Default5xx', ResponseType.DEFAULT_5XX, '$context.error.responseType'],
    ];
    for (const [id, type, code] of gatewayErrors) {
      this.api.addGatewayResponse(id, { type, templates: errorBody(code) });
    }

    acknowledge(
      this.api,
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'The API is private: only reachable through the control plane VPC endpoint, with SigV4 on every method; there is no internet-facing surface for a WAF web ACL to filter.',
      },
      {
        id: 'AwsSolutions-COG4',
        reason:
          'Callers are internal services and operators with AWS credentials, authorized by IAM (SigV4), not end users of a Cognito user pool.',
      },
      {
        id: managedPolicyFinding('service-role/AmazonAPIGatewayPushToCloudWatchLogs'),
        reason:
          'The account-wide role API Gateway uses to write access and execution logs; AWS maintains this policy for exactly that purpose.',
      },
    );
  }

  /** `https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/`, resolvable inside the VPC. */
  public get url(): string {
    return this.api.url;
  }
}

/** `list-tenants.ts` → `ListTenants`; `create` → `Create`. */
function constructId(file: string): string {
  return file
    .replace(/\.ts$/, '')
    .split('-')
    .map((part) => `${part[0]?.toUpperCase() ?? ''}${part.slice(1)}`)
    .join('');
}

/** The calendar refinements (future date) never reach the JSON schema: the handler checks them. */
const noToday = (): string => '0000-00-00';

/**
 * The request body's JSON Schema (draft 4, API Gateway's dialect) derived from the handler's zod schema,
 * so the gateway and the handler accept the same shapes. Refinements (dates in the future, reserved
 * variable names) are left to the handler, which answers them with field-level details.
 */
export function requestSchema(schema: z.ZodType): JsonSchema {
  const json: Record<string, unknown> = z.toJSONSchema(schema, {
    target: 'draft-04',
    io: 'input',
    unrepresentable: 'any',
  });
  // zod emits the same keywords and type names as CDK's JsonSchema; only the dialect key differs.
  delete json.$schema;
  return { ...json, schema: JsonSchemaVersion.DRAFT4 };
}

/**
 * A rollout route's grants, from its entry in the route table: its own actions on the rollouts table, and
 * only when the entry says so the tenant table (to select), the state machine (to start) and the topic.
 */
function bindRolloutRoute(fn: ControlPlaneFunction, route: RouteDefinition, props: PrivateApiProps) {
  const uses = route.rollouts;
  if (!uses) throw new Error(`rollout route ${route.name} does not say what it uses`);
  const user = API_FUNCTION_NAMES[route.name] as keyof typeof ROLLOUT_TABLE_ACTIONS;
  fn.bindTable(props.rollouts.table, { actions: ROLLOUT_TABLE_ACTIONS[user], envVar: ROLLOUT_ENV.table });
  if (uses.readsTenants) {
    fn.bindTable(props.table, { actions: TENANT_TABLE_ACTIONS[user as keyof typeof TENANT_TABLE_ACTIONS] });
  }
  if (uses.startsExecution) {
    fn.addEnvironment(ROLLOUT_ENV.stateMachine, props.rollouts.stateMachine.stateMachineArn);
    props.rollouts.stateMachine.grantStartExecution(fn);
  }
  if (uses.notifies) fn.bindTopic(props.rollouts.topic, ROLLOUT_ENV.topic);
  return fn;
}
