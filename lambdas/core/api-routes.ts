import * as z from 'zod';
import {
  createTenantSchema,
  ListTenantsQuerySchema,
  PageLimitSchema,
  updateTenantSchema,
} from './api-schema';
import { ACTIONS, type Action } from './flows';
import { HistoryItemSchema } from './history';
import { TENANT_STATUSES } from './lifecycle';
import { TIERS, type TenantView } from './tenant';
import { TenantCodeSchema } from './tenant-code';

/** Every error code the API answers, with its HTTP status: the one table errors are mapped from. */
export const API_ERRORS = {
  VALIDATION_ERROR: 400,
  TENANT_NOT_FOUND: 404,
  TENANT_CONFLICT: 409,
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
export const ROUTE_NAMES = ['create', 'list', 'get', 'update', 'delete', 'history', 'fleet'] as const;
export type RouteName = (typeof ROUTE_NAMES)[number];

export interface RouteDefinition {
  readonly name: RouteName;
  readonly method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** API Gateway path template, e.g. `/tenants/{code}`. */
  readonly path: string;
  /** Handler file under `lambdas/handlers/api/`. */
  readonly handlerFile: string;
  readonly summary: string;
  /** `read` routes get read access to the tenant table only; a `write` route publishes to its action's bus. */
  readonly access: 'read' | 'write';
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

/**
 * The tenant API as data: the CDK API construct, the local HTTP server and the OpenAPI document are all
 * built from this table, so adding a route is one entry (and its handler).
 */
export const API_ROUTES: readonly RouteDefinition[] = [
  {
    name: 'create',
    method: 'POST',
    path: '/tenants',
    handlerFile: 'create-tenant.ts',
    summary: 'Registers a tenant and starts its create flow',
    access: 'write',
    action: 'create',
    body: createTenantSchema,
    idempotent: true,
    success: { status: 202, description: 'Accepted: the tenant is creating', schema: TenantViewSchema },
    errors: WRITE_ERRORS,
  },
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
  {
    name: 'update',
    method: 'PATCH',
    path: '/tenants/{code}',
    handlerFile: 'update-tenant.ts',
    summary: 'Changes a tenant and re-runs Terraform; `{}` retries with the current values',
    access: 'write',
    action: 'update',
    pathParameters: TenantPathSchema,
    body: updateTenantSchema,
    idempotent: true,
    success: { status: 202, description: 'Accepted: the tenant is updating', schema: TenantViewSchema },
    errors: [...WRITE_ERRORS, 'TENANT_NOT_FOUND'],
  },
  {
    name: 'delete',
    method: 'DELETE',
    path: '/tenants/{code}',
    handlerFile: 'delete-tenant.ts',
    summary: 'Starts the delete flow: a destroy run, then the workspace deletion',
    access: 'write',
    action: 'delete',
    pathParameters: TenantPathSchema,
    idempotent: true,
    success: { status: 202, description: 'Accepted: the tenant is deleting', schema: TenantViewSchema },
    errors: [...WRITE_ERRORS, 'TENANT_NOT_FOUND'],
  },
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
];

/** The route named `name`. */
export function route(name: RouteName): RouteDefinition {
  const found = API_ROUTES.find((r) => r.name === name);
  if (!found) throw new Error(`no route named ${name}`);
  return found;
}
