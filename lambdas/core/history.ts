import * as z from 'zod';
import { ACTIONS } from './flows';
import { TENANT_STATUSES, type TenantStatus } from './lifecycle';
import type { TransitionRequest, TransitionResult } from './ports';
import { TIERS, type Tenant } from './tenant';

export { DEFAULT_HISTORY_RETENTION_DAYS } from './defaults';

const Iso = z.string().meta({ description: 'ISO 8601 timestamp (UTC)' });
const DateOrNull = z.string().nullable();

/**
 * What a request changed. Variable values never appear (a tenant's inputs may be secrets): only the names
 * added, changed or removed.
 */
export const RequestChangesSchema = z
  .strictObject({
    tier: z.strictObject({ from: z.enum(TIERS).optional(), to: z.enum(TIERS) }).optional(),
    variables: z
      .strictObject({
        added: z.array(z.string()),
        changed: z.array(z.string()),
        removed: z.array(z.string()),
      })
      .optional(),
    decommissionDate: z.strictObject({ from: DateOrNull, to: DateOrNull }).optional(),
  })
  .meta({ id: 'RequestChanges' });
export type RequestChanges = z.infer<typeof RequestChangesSchema>;

/**
 * One kind of history entry: when, which kind, in which flow, then the kind's own fields; `id` names it in
 * the OpenAPI document.
 */
const historyItem = <K extends string, S extends z.ZodRawShape>(kind: K, id: string, fields: S) =>
  z.strictObject({ at: Iso, kind: z.literal(kind), flowId: z.string(), ...fields }).meta({ id });

export const RequestHistoryItemSchema = historyItem('request', 'RequestHistoryItem', {
  action: z.enum(ACTIONS),
  requestedBy: z.string().meta({ description: '`api:<caller ARN>` or `system`' }),
  changes: RequestChangesSchema.optional(),
});

export const RunHistoryItemSchema = historyItem('run', 'RunHistoryItem', {
  runId: z.string(),
  status: z.string().meta({ description: 'Terraform run status when recorded' }),
  link: z.string().optional().meta({ description: 'Where the run can be seen (TFC UI, or its local log)' }),
});

export const StatusHistoryItemSchema = historyItem('status', 'StatusHistoryItem', {
  from: z.enum(TENANT_STATUSES).optional().meta({ description: 'absent for a tenant that did not exist' }),
  to: z.enum(TENANT_STATUSES),
  reason: z.string().optional(),
});

/** One entry of a tenant's history: a request, a Terraform run, or a status change. */
export const HistoryItemSchema = z
  .discriminatedUnion('kind', [RequestHistoryItemSchema, RunHistoryItemSchema, StatusHistoryItemSchema])
  .meta({ id: 'HistoryItem' });
export type HistoryItem = z.infer<typeof HistoryItemSchema>;

/**
 * What a request changed on the row. A create (also over a deleted tenant) lists everything it set; an
 * update only what differs; a delete changes nothing. Undefined when nothing changed.
 */
export function requestChanges(before: Tenant | undefined, after: Tenant): RequestChanges | undefined {
  if (after.action === 'delete') return undefined;
  const base = after.action === 'create' ? undefined : before;
  const changes: RequestChanges = {};
  if (base?.tier !== after.tier) changes.tier = { ...(base ? { from: base.tier } : {}), to: after.tier };
  const old = base?.variables ?? {};
  const added = Object.keys(after.variables).filter((k) => !(k in old));
  const changed = Object.keys(after.variables).filter((k) => k in old && old[k] !== after.variables[k]);
  const removed = Object.keys(old).filter((k) => !(k in after.variables));
  if (added.length + changed.length + removed.length > 0) {
    changes.variables = { added: added.sort(), changed: changed.sort(), removed: removed.sort() };
  }
  const from = base?.decommissionDate ?? null;
  const to = after.decommissionDate ?? null;
  if (from !== to) changes.decommissionDate = { from, to };
  return Object.keys(changes).length ? changes : undefined;
}

function statusItem(
  at: string,
  flowId: string,
  from: TenantStatus | undefined,
  to: TenantStatus,
  reason?: string,
): HistoryItem {
  return { at, kind: 'status', flowId, ...(from ? { from } : {}), to, ...(reason ? { reason } : {}) };
}

const reasonOf = (t: Tenant) => (t.lastError ? `${t.lastError.code}: ${t.lastError.message}` : undefined);

/**
 * The history of each write, oldest first: the repository stores these items in the same transaction as
 * the row write they describe, so the history never misses a write that happened.
 */
export const History = {
  /** A request: who asked for what, and the status it moved the tenant to. */
  ofTransition(request: TransitionRequest, result: TransitionResult): HistoryItem[] {
    const { before, after } = result;
    const changes = requestChanges(before, after);
    return [
      {
        at: request.now,
        kind: 'request',
        action: request.action,
        requestedBy: request.requestedBy,
        flowId: request.flowId,
        ...(changes ? { changes } : {}),
      },
      statusItem(request.now, request.flowId, before?.status, after.status),
    ];
  },

  /** A run recorded for the first time. */
  ofRunStarted(before: Tenant, after: Tenant): HistoryItem[] {
    if (!after.runId || after.runId === before.runId) return [];
    return [
      {
        at: after.updatedAt,
        kind: 'run',
        flowId: after.flowId,
        runId: after.runId,
        status: after.runStatus ?? 'pending',
      },
    ];
  },

  /** A flow's end: its run's final status (when it had one) and the terminal status. */
  ofCompletion(before: Tenant, after: Tenant): HistoryItem[] {
    return [
      ...(after.runId
        ? [
            {
              at: after.updatedAt,
              kind: 'run' as const,
              flowId: after.flowId,
              runId: after.runId,
              status: after.runStatus ?? 'unknown',
            },
          ]
        : []),
      statusItem(after.updatedAt, after.flowId, before.status, after.status, reasonOf(after)),
    ];
  },

  /** A transition undone because its flow could not be started. */
  ofUndo(result: TransitionResult, at: string): HistoryItem[] {
    const { before, after } = result;
    return [
      statusItem(
        at,
        after.flowId,
        after.status,
        before?.status ?? 'deleted',
        'the request was undone: its flow could not be started',
      ),
    ];
  },

  /** A flow no execution will finish, failed by the reconciler. */
  ofLostFlow(before: Tenant, after: Tenant): HistoryItem[] {
    return [statusItem(after.updatedAt, after.flowId, before.status, after.status, reasonOf(after))];
  },
};
