import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import {
  FleetQuerySchema,
  HistoryQuerySchema,
  ListRolloutsQuerySchema,
  TenantPathSchema,
  type RouteName,
} from '../../core/api-routes';
import {
  createTenantSchema,
  ListTenantsQuerySchema,
  MAX_BODY_BYTES,
  updateTenantSchema,
} from '../../core/api-schema';
import { CreateRolloutSchema, RolloutPathSchema, type RolloutCommand } from '../../core/rollout';
import { IdempotencyInProgressError, IdempotencyKeyReusedError } from '../../core/errors';
import { isoDate, type Clock, type FleetReader } from '../../core/ports';
import { toView, type RunLink, type Tenant } from '../../core/tenant';
import type { TenantCode } from '../../core/tenant-code';
import type { TenantInputs } from '../../core/tenant-inputs';
import { fleetSummary } from '../../use-cases/fleet';
import type { TenantRequests } from '../../use-cases/tenant-requests';
import type { Rollouts } from '../../use-cases/rollouts';
import { currentLogger, withLogContext } from '../../shared/observability';
import {
  errorResponse,
  header,
  json,
  parseJsonBody,
  requestedBy,
  validate,
  type ApiEvent,
  type ApiResult,
} from './http';

export interface TenantApiDeps {
  /** The tenant requests; required by the tenant routes. */
  requests?: TenantRequests;
  clock: Clock;
  /** The inputs a tenant may set: `tenant-inputs.json` of the module the control plane deploys. */
  tenantInputs: TenantInputs;
  /** Where Idempotency-Key records live; required by the write routes. */
  idempotencyStore?: BasePersistenceLayer;
  /** How long a retried write returns the first answer. @default 3600 */
  idempotencyTtlSeconds?: number;
  /** Where answers link each run to. @default - no links */
  runLink?: RunLink;
  /** The rollouts; required by the rollout routes. */
  rollouts?: Rollouts;
  /** What the fleet route reads; required by that route. */
  fleet?: {
    reader: FleetReader;
    /** The module version new runs apply (content hash of the deployed module, optional label). */
    currentModuleVersion: () => Promise<string>;
  };
}

export type Route = (event: ApiEvent) => Promise<ApiResult>;

/** A route whose every error becomes its HTTP answer ({@link errorResponse}): no route answers with a throw. */
function answering(route: Route): Route {
  return async (event) => {
    try {
      return await route(event);
    } catch (error) {
      return errorResponse(error);
    }
  };
}

/** A page of a listing route: `nextToken` only while there is more. */
function pageAnswer<T>(items: T[], nextToken: string | undefined): { items: T[]; nextToken?: string } {
  return { items, ...(nextToken ? { nextToken } : {}) };
}

const IDEMPOTENCY_KEY = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'must be 1-255 visible ASCII characters');

interface WritePayload {
  caller: string;
  key: string;
  /** What the key must keep meaning: the route's path parameter and body. */
  request: { code: string | null; body: string | null; isBase64Encoded: boolean };
}

/**
 * The body as the idempotency fingerprint should see it: the same JSON with other key order or whitespace
 * is the same request. Anything that is not a JSON body within the size limit is kept as sent (the write
 * rejects it).
 */
function canonicalBody(
  body: string | null,
  isBase64Encoded: boolean,
): { body: string | null; isBase64Encoded: boolean } {
  if (body === null) return { body, isBase64Encoded };
  const raw = isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8');
  if (raw.byteLength > MAX_BODY_BYTES) return { body, isBase64Encoded };
  try {
    return { body: canonicalJson(JSON.parse(raw.toString('utf8'))), isBase64Encoded: false };
  } catch {
    return { body, isBase64Encoded };
  }
}

/** JSON with object keys sorted at every level and no whitespace (built as text: `__proto__` survives). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

function tenantCodeParam(code: string | null | undefined): TenantCode {
  return validate(TenantPathSchema, { code }, 'path').code;
}

/**
 * The tenant API's routes as plain functions of an API Gateway proxy event. Each Lambda exposes one of
 * them; the local control plane mounts all of them behind its HTTP server.
 */
export function makeTenantApi(deps: TenantApiDeps) {
  const today = () => isoDate(deps.clock);
  const createSchema = createTenantSchema(today, deps.tenantInputs);
  const updateSchema = updateTenantSchema(today, deps.tenantInputs);
  const view = (t: Tenant) => toView(t, deps.runLink);
  function requestsOf(): TenantRequests {
    if (!deps.requests) throw new Error('the tenant routes are not configured');
    return deps.requests;
  }

  const idempotencyConfig = new IdempotencyConfig({
    eventKeyJmesPath: '[caller, key]',
    payloadValidationJmesPath: 'request',
    expiresAfterSeconds: deps.idempotencyTtlSeconds ?? 3600,
    throwOnNoIdempotencyKey: true,
  });

  /** Wraps a write so a retried request with the same Idempotency-Key returns the first answer. */
  function idempotentWrite(route: string, write: (payload: WritePayload) => Promise<ApiResult>): Route {
    const store = deps.idempotencyStore;
    const once = store
      ? makeIdempotent(write, {
          persistenceStore: store,
          keyPrefix: `tenants.${route}`,
          config: idempotencyConfig,
        })
      : undefined;
    return answering(async (event) => {
      const rawKey = header(event, 'idempotency-key');
      const payload: WritePayload = {
        caller: requestedBy(event),
        key: rawKey === undefined ? '' : validate(IDEMPOTENCY_KEY, rawKey, 'Idempotency-Key header'),
        request: {
          code: event.pathParameters?.code ?? null,
          ...canonicalBody(event.body ?? null, event.isBase64Encoded ?? false),
        },
      };
      if (rawKey === undefined) return await write(payload);
      if (!once) throw new Error('Idempotency-Key sent but no idempotency store is configured');
      try {
        return await once(payload);
      } catch (error) {
        if (error instanceof IdempotencyValidationError) throw new IdempotencyKeyReusedError();
        if (error instanceof IdempotencyAlreadyInProgressError) throw new IdempotencyInProgressError();
        throw error;
      }
    });
  }

  async function accepted(tenant: Promise<Tenant>): Promise<ApiResult> {
    const t = await tenant;
    currentLogger().info('request accepted', {
      tenantCode: t.tenantCode,
      flowId: t.flowId,
      status: t.status,
    });
    return json(202, view(t));
  }

  const create = idempotentWrite('create', async ({ caller, request }) => {
    const body = validate(createSchema, parseJsonBody(request.body, request.isBase64Encoded), 'request body');
    return withLogContext({ tenantCode: body.tenantCode }, () => accepted(requestsOf().create(body, caller)));
  });

  const update = idempotentWrite('update', async ({ caller, request }) => {
    const code = tenantCodeParam(request.code);
    const body = validate(updateSchema, parseJsonBody(request.body, request.isBase64Encoded), 'request body');
    return withLogContext({ tenantCode: code }, () => accepted(requestsOf().update(code, body, caller)));
  });

  const remove = idempotentWrite('delete', async ({ caller, request }) => {
    const code = tenantCodeParam(request.code);
    return withLogContext({ tenantCode: code }, () => accepted(requestsOf().delete(code, caller)));
  });

  const get = answering(async (event) => {
    const code = tenantCodeParam(event.pathParameters?.code);
    return json(200, view(await requestsOf().get(code)));
  });

  const list = answering(async (event) => {
    const query = validate(ListTenantsQuerySchema, event.queryStringParameters ?? {}, 'query');
    const page = await requestsOf().list(query);
    return json(200, pageAnswer(page.items.map(view), page.nextToken));
  });

  const history = answering(async (event) => {
    const code = tenantCodeParam(event.pathParameters?.code);
    const query = validate(HistoryQuerySchema, event.queryStringParameters ?? {}, 'query');
    const page = await requestsOf().history(code, query);
    const items = page.items.map((item) => {
      const link = item.kind === 'run' ? deps.runLink?.(code, item.runId) : undefined;
      return link ? { ...item, link } : item;
    });
    return json(200, pageAnswer(items, page.nextToken));
  });

  const fleet = answering(async (event) => {
    validate(FleetQuerySchema, event.queryStringParameters ?? {}, 'query');
    if (!deps.fleet) throw new Error('the fleet route is not configured');
    return json(200, await fleetSummary(deps.fleet.reader, await deps.fleet.currentModuleVersion()));
  });

  function rolloutsOf(): Rollouts {
    if (!deps.rollouts) throw new Error('the rollout routes are not configured');
    return deps.rollouts;
  }
  const rolloutId = (event: ApiEvent) =>
    validate(RolloutPathSchema, { id: event.pathParameters?.id }, 'path').id;

  const startRollout = answering(async (event) => {
    const body = validate(
      CreateRolloutSchema,
      parseJsonBody(event.body ?? null, event.isBase64Encoded ?? false),
      'request body',
    );
    const rollout = await rolloutsOf().create(body, requestedBy(event));
    currentLogger().info('rollout started', { rolloutId: rollout.rolloutId, total: rollout.counts.total });
    return json(202, rollout);
  });

  const listRollouts = answering(async (event) => {
    const query = validate(ListRolloutsQuerySchema, event.queryStringParameters ?? {}, 'query');
    const page = await rolloutsOf().list(query);
    return json(200, pageAnswer(page.items, page.nextToken));
  });

  const getRollout = answering(async (event) => json(200, await rolloutsOf().get(rolloutId(event))));

  /** Pause, resume, cancel: no body (or `{}`). */
  const rolloutCommand = (command: RolloutCommand): Route =>
    answering(async (event) => {
      const id = rolloutId(event);
      if (event.body !== null && event.body !== undefined && event.body !== '') {
        validate(
          z.strictObject({}),
          parseJsonBody(event.body, event.isBase64Encoded ?? false),
          'request body',
        );
      }
      const rollout = await rolloutsOf().command(id, command);
      currentLogger().info(`rollout ${command}`, { rolloutId: id, status: rollout.status });
      return json(202, rollout);
    });

  /**
   * Gives the idempotency layer the invocation's remaining time, so a request that dies mid-way does not
   * hold its key for longer than it could have run.
   */
  const registerContext = (context: Context) => idempotencyConfig.registerLambdaContext(context);

  const routes: Record<RouteName, Route> = {
    create,
    get,
    list,
    update,
    delete: remove,
    history,
    fleet,
    startRollout,
    listRollouts,
    getRollout,
    pauseRollout: rolloutCommand('pause'),
    resumeRollout: rolloutCommand('resume'),
    cancelRollout: rolloutCommand('cancel'),
  };
  return { ...routes, registerContext };
}

export type TenantApi = ReturnType<typeof makeTenantApi>;
