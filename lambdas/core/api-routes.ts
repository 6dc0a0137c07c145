import * as z from 'zod';
import {
  createTenantSchema,
  ListTenantsQuerySchema,
  PageLimitSchema,
  updateTenantSchema,
} from './api-schema';
import { ACTIONS, FLOWS, type Action } from './flows';
import { HistoryItemSchema } from './history';
import { TENANT_STATUSES } from './lifecycle';
import { TIERS, type TenantView } from './tenant';
import { TenantCodeSchema } from './tenant-code';
import { CreateRolloutSchema, RolloutPageSchema, RolloutPathSchema, RolloutViewSchema } from './rollout';

/** Every error code the API answers, with its HTTP status: the one table errors are mapped from. */
export const API_ERRORS = {
  VALIDATION_ERROR: 400,
  TENANT_NOT_FOUND: 404,
  TENANT_CONFLICT: 409,
  ROLLOUT_NOT_FOUND: 404,
  ROLLOUT_CONFLICT: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  INTERNAL_ERROR: 500,
  FLOW_START_FAILED: 503,
} as const;
export type ApiErrorCode = keyof typeof API_ERRORS;

export const ErrorBodySchema = z
  .strictObject({
    error: z.strictObject({
      code: z.string().meta({ description: `One of ${Object.keys(API_ERRORS).join(', ')}` }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });

export const TenantViewSchema = z
  .strictObject({
    tenantCode: z.string(),
    status: z.enum(TENANT_STATUSES),
    flowId: z.string(),
    version: z.number().int(),
    action: z.enum(ACTIONS),
    tier: z.enum(TIERS),
    variables: z.record(z.string(), z.string()),
    decommissionDate: z.string().nullable(),
    workspaceId: z.string().nullable(),
    run: z
      .strictObject({
        id: z.string(),
        status: z.string().nullable(),
        link: z.string().optional().meta({ description: 'TFC UI URL of the run; locally, its log' }),
      })
      .nullable(),
    queuedSince: z
      .string()
      .nullable()
      .meta({ description: 'When the flow joined the admission queue, while it waits for a run slot' }),
    retrying: z
      .strictObject({
        reason: z.string().meta({
          description: 'What failed, e.g. "connection refused (ECONNREFUSED) at app.terraform.io"',
        }),
        attempt: z.number().int().meta({ description: 'The attempt of the request that failed last' }),
        maxAttempts: z.number().int().meta({
          description: 'Attempts per request; at maxAttempts the flow retries its step',
        }),
        since: z.string().meta({ description: 'First failure of this outage' }),
        at: z.string().meta({ description: 'Latest failure' }),
      })
      .nullable()
      .meta({
        description:
          'While the flow retries a TFC request that failed at the network level or with a 5xx; null otherwise',
      }),
    outputs: z.record(z.string(), z.unknown()),
    sensitiveOutputs: z.array(z.string()),
    moduleVersion: z
      .string()
      .nullable()
      .meta({ description: 'module version (content hash, optional label) the last successful run applied' }),
    lastError: z.strictObject({ code: z.string(), message: z.string(), at: z.string() }).nullable(),
    requestedBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Tenant' });

/** Compile-time proof that the answer's schema and the core's TenantView are the same shape. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export const TENANT_VIEW_MATCHES_SCHEMA: Same<TenantView, z.infer<typeof TenantViewSchema>> = true;

export const TenantPageSchema = z
  .strictObject({ items: z.array(TenantViewSchema), nextToken: z.string().optional() })
  .meta({ id: 'TenantPage' });

export const HistoryPageSchema = z
  .strictObject({ items: z.array(HistoryItemSchema), nextToken: z.string().optional() })
  .meta({ id: 'HistoryPage' });

export const HistoryQuerySchema = z.strictObject({
  limit: PageLimitSchema,
  nextToken: z.string().min(1).max(2048).optional(),
});
export type HistoryQuery = z.infer<typeof HistoryQuerySchema>;

export const TenantPathSchema = z.strictObject({ code: TenantCodeSchema });

export const FleetSchema = z
  .strictObject({
    currentModuleVersion: z.string().meta({
      description: 'The module version new runs apply: content hash of the deployed module, optional label',
    }),
    total: z.number().int().meta({ description: 'Tenants that are not deleted' }),
    byStatus: z
      .strictObject(
        Object.fromEntries(TENANT_STATUSES.map((s) => [s, z.number().int()])) as Record<
          (typeof TENANT_STATUSES)[number],
          z.ZodNumber
        >,
      )
      .meta({ description: 'Tenants per status; deleted tenants are counted here only' }),
    byModuleVersion: z.record(z.string(), z.number().int()).meta({
      description: 'Tenants that are not deleted, per module version applied ("none": never applied)',
    }),
    behind: z.number().int().meta({
      description: 'Tenants that are not deleted whose module version is not the current one',
    }),
  })
  .meta({ id: 'Fleet' });

/** The fleet route takes no query parameter: any is a 400. */
export const FleetQuerySchema = z.strictObject({});

/** The handlers of the tenant API, by name: each is one Lambda function and one method of `makeTenantApi`. */
export const ROUTE_NAMES = [
  'create',
  'list',
  'get',
  'update',
  'delete',
  'history',
  'fleet',
  'startRollout',
  'listRollouts',
  'getRollout',
  'pauseRollout',
  'resumeRollout',
  'cancelRollout',
] as const;
export type RouteName = (typeof ROUTE_NAMES)[number];

export interface RouteDefinition {
  readonly name: RouteName;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway path template, e.g. `/tenants/{code}`. */
  readonly path: string;
  /** Handler file under `lambdas/handlers/api/`. */
  readonly handlerFile: string;
  readonly summary: string;
  /**
   * `read` routes get read access to the tenant table only; a `write` route publishes to its action's bus;
   * a `rollout` route works on the rollouts as its `rollouts` field says.
   */
  readonly access: 'read' | 'write' | 'rollout';
  /** What a rollout route does: read or write the rollouts table, start executions, publish events, read tenants. */
  readonly rollouts?: {
    readonly table: 'read' | 'write';
    /** Starts an execution of the rollout state machine. */
    readonly startsExecution?: boolean;
    /** Publishes rollout events on the lifecycle topic. */
    readonly notifies?: boolean;
    /** Reads the tenant table (to select tenants). */
    readonly readsTenants?: boolean;
  };
  /** The OpenAPI operationId. @default `<name>Tenant` (`listTenants` for the list) */
  readonly operationId?: string;
  /** The request a write route starts. */
  readonly action?: Action;
  /** Whether the route also reads the tenant history table. */
  readonly readsHistory?: boolean;
  /** Whether the route reads the deployed Terraform module (to name the current module version). */
  readonly readsModule?: boolean;
  readonly pathParameters?: z.ZodObject;
  readonly query?: z.ZodObject;
  /** The body schema; built with a clock because dates must lie in the future. */
  readonly body?: (today: () => string) => z.ZodType;
  /** Whether an `Idempotency-Key` header makes a retry return the first answer. */
  readonly idempotent?: boolean;
  readonly success: { status: 200 | 202; description: string; schema: z.ZodType };
  /** Error codes the route answers besides INTERNAL_ERROR. */
  readonly errors: readonly ApiErrorCode[];
}

const WRITE_ERRORS = [
  'VALIDATION_ERROR',
  'TENANT_CONFLICT',
  'IDEMPOTENCY_IN_PROGRESS',
  'IDEMPOTENCY_KEY_REUSED',
  'FLOW_START_FAILED',
] as const satisfies readonly ApiErrorCode[];

/** The rollout list takes a page size and token. */
export const ListRolloutsQuerySchema = z.strictObject({
  limit: PageLimitSchema,
  nextToken: z.string().min(1).max(2048).optional(),
});

const rolloutCommand = (command: 'pause' | 'resume' | 'cancel', summary: string): RouteDefinition => ({
  name: `${command}Rollout`,
  operationId: `${command}Rollout`,
  method: 'POST',
  path: `/rollouts/{id}/${command}`,
  handlerFile: `${command}-rollout.ts`,
  summary,
  access: 'rollout',
  rollouts: {
    table: 'write',
    ...(command === 'pause' ? {} : { startsExecution: true }),
    ...(command === 'resume' ? { notifies: true } : {}),
  },
  pathParameters: RolloutPathSchema,
  success: { status: 202, description: 'The rollout after the request', schema: RolloutViewSchema },
  errors: ['VALIDATION_ERROR', 'ROLLOUT_NOT_FOUND', 'ROLLOUT_CONFLICT', 'FLOW_START_FAILED'],
});

const REQUEST_METHODS = { create: 'POST', update: 'PATCH', delete: 'DELETE' } as const;

/**
 * A write route: starts the action's flow and answers 202 with the tenant in its in-progress status; an
 * `Idempotency-Key` makes a retry answer the same. Every action but create names an existing tenant.
 */
const tenantRequest = (action: Action, summary: string, body?: RouteDefinition['body']): RouteDefinition => {
  const existing = action !== 'create';
  return {
    name: action,
    method: REQUEST_METHODS[action],
    path: existing ? '/tenants/{code}' : '/tenants',
    handlerFile: `${action}-tenant.ts`,
    summary,
    access: 'write',
    action,
    ...(existing ? { pathParameters: TenantPathSchema } : {}),
    ...(body ? { body } : {}),
    idempotent: true,
    success: {
      status: 202,
      description: `Accepted: the tenant is ${FLOWS[action].inProgressStatus}`,
      schema: TenantViewSchema,
    },
    errors: existing ? [...WRITE_ERRORS, 'TENANT_NOT_FOUND'] : WRITE_ERRORS,
  };
};

/**
 * The tenant API as data: the CDK API construct, the local HTTP server and the OpenAPI document are all
 * built from this table, so adding a route is one entry (and its handler).
 */
export const API_ROUTES: readonly RouteDefinition[] = [
  tenantRequest('create', 'Registers a tenant and starts its create flow', createTenantSchema),
  {
    name: 'list',
    method: 'GET',
    path: '/tenants',
    handlerFile: 'list-tenants.ts',
    summary: 'Lists tenants, optionally by status and by the module version applied',
    access: 'read',
    query: ListTenantsQuerySchema,
    success: { status: 200, description: 'One page of tenants', schema: TenantPageSchema },
    errors: ['VALIDATION_ERROR'],
  },
  {
    name: 'get',
    method: 'GET',
    path: '/tenants/{code}',
    handlerFile: 'get-tenant.ts',
    summary: 'Reads one tenant, outputs included (sensitive ones redacted); no TFC call',
    access: 'read',
    pathParameters: TenantPathSchema,
    success: { status: 200, description: 'The tenant', schema: TenantViewSchema },
    errors: ['VALIDATION_ERROR', 'TENANT_NOT_FOUND'],
  },
  tenantRequest(
    'update',
    'Changes a tenant and re-runs Terraform; `{}` retries with the current values',
    updateTenantSchema,
  ),
  tenantRequest('delete', 'Starts the delete flow: a destroy run, then the workspace deletion'),
  {
    name: 'history',
    method: 'GET',
    path: '/tenants/{code}/history',
    handlerFile: 'get-tenant-history.ts',
    summary: "A tenant's requests, runs and status changes, newest first (also after it was deleted)",
    access: 'read',
    readsHistory: true,
    pathParameters: TenantPathSchema,
    query: HistoryQuerySchema,
    success: { status: 200, description: 'One page of history', schema: HistoryPageSchema },
    errors: ['VALIDATION_ERROR', 'TENANT_NOT_FOUND'],
  },
  {
    name: 'fleet',
    method: 'GET',
    path: '/fleet',
    handlerFile: 'get-fleet.ts',
    summary: 'The current module version and tenants per status and per module version (status index only)',
    access: 'read',
    readsModule: true,
    query: FleetQuerySchema,
    success: { status: 200, description: 'The fleet summary', schema: FleetSchema },
    errors: ['VALIDATION_ERROR'],
  },
  {
    name: 'startRollout',
    operationId: 'startRollout',
    method: 'POST',
    path: '/rollouts',
    handlerFile: 'start-rollout.ts',
    summary:
      'Rolls the current module version out to the selected tenants through their update flows: canary first, then waves',
    access: 'rollout',
    rollouts: { table: 'write', startsExecution: true, notifies: true, readsTenants: true },
    readsModule: true,
    body: () => CreateRolloutSchema,
    success: { status: 202, description: 'Accepted: the rollout is running', schema: RolloutViewSchema },
    errors: ['VALIDATION_ERROR', 'ROLLOUT_CONFLICT', 'FLOW_START_FAILED'],
  },
  {
    name: 'listRollouts',
    operationId: 'listRollouts',
    method: 'GET',
    path: '/rollouts',
    handlerFile: 'list-rollouts.ts',
    summary: 'Lists rollouts, newest first',
    access: 'rollout',
    rollouts: { table: 'read' },
    query: ListRolloutsQuerySchema,
    success: { status: 200, description: 'One page of rollouts', schema: RolloutPageSchema },
    errors: ['VALIDATION_ERROR'],
  },
  {
    name: 'getRollout',
    operationId: 'getRollout',
    method: 'GET',
    path: '/rollouts/{id}',
    handlerFile: 'get-rollout.ts',
    summary: "A rollout's status, counts, failures with reasons and skipped tenants",
    access: 'rollout',
    rollouts: { table: 'read' },
    pathParameters: RolloutPathSchema,
    success: { status: 200, description: 'The rollout', schema: RolloutViewSchema },
    errors: ['VALIDATION_ERROR', 'ROLLOUT_NOT_FOUND'],
  },
  rolloutCommand('pause', 'Stops starting tenants; those updating finish (resume goes on)'),
  rolloutCommand(
    'resume',
    'Goes on with a paused or halted rollout; a halted one retries its failed tenants',
  ),
  rolloutCommand('cancel', 'Starts no more tenants; those updating finish; the rest are skipped'),
];

/** The route named `name`. */
export function route(name: RouteName): RouteDefinition {
  const found = API_ROUTES.find((r) => r.name === name);
  if (!found) throw new Error(`no route named ${name}`);
  return found;
}
