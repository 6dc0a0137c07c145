import { z } from 'zod';
import { TENANT_STATUSES, type TenantStatus } from '../core/lifecycle';
import type { Tier } from '../core/tenant';
import type { TenantCode } from '../core/tenant-code';

/**
 * What tenantctl knows of the rollout API (`/rollouts`): the request it sends and the answers it reads.
 * The CLI talks to the API over HTTP only, so these mirror the API's contract instead of importing it.
 */
export const ROLLOUT_STATUSES = ['running', 'paused', 'halted', 'completed', 'canceled'] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

/** The requests an operator can make of an existing rollout. */
export const ROLLOUT_ACTIONS = ['pause', 'resume', 'cancel'] as const;
export type RolloutAction = (typeof ROLLOUT_ACTIONS)[number];

export const ROLLOUT_SUBCOMMANDS = ['start', 'status', 'list', ...ROLLOUT_ACTIONS] as const;
export type RolloutSubcommand = (typeof ROLLOUT_SUBCOMMANDS)[number];

/** `ro-<UTC time>-<6 hex>`, e.g. `ro-20261202t041500-3fa9c1`. */
export const ROLLOUT_ID_PATTERN = /^ro-[0-9]{8}t[0-9]{6}-[0-9a-f]{6}$/;

/** A selector may name every tenant status but `deleted`. */
export const SELECTABLE_STATUSES = TENANT_STATUSES.filter(
  (s): s is Exclude<TenantStatus, 'deleted'> => s !== 'deleted',
);
export type SelectableStatus = (typeof SELECTABLE_STATUSES)[number];

export interface RolloutSelector {
  tier?: Tier;
  tenantCodes?: TenantCode[];
  statuses?: SelectableStatus[];
}

/** `POST /rollouts`: absent fields take the API's defaults (current module version, every tenant, 5/1/0). */
export interface StartRolloutBody {
  moduleVersion?: string;
  selector?: RolloutSelector;
  maxConcurrent?: number;
  canary?: number;
  maxFailures?: number;
}

export interface RolloutCounts {
  total: number;
  pending: number;
  inProgress: number;
  succeeded: number;
  failed: number;
  skipped: number;
}

export interface TenantNote {
  tenantCode: string;
  reason: string;
  at: string;
}

export interface RolloutView {
  rolloutId: string;
  status: RolloutStatus;
  moduleVersion: string;
  selector: { tier?: string; tenantCodes?: string[]; statuses?: string[] };
  maxConcurrent: number;
  canary: number;
  maxFailures: number;
  counts: RolloutCounts;
  /** At most the API's listing limit (100); `counts.failed` is exact. */
  failures: TenantNote[];
  skipped: TenantNote[];
  haltReason: string | null;
  requestedBy: string;
  createdAt: string;
  /** When the rollout last started or resumed. */
  startedAt: string;
  updatedAt: string;
  endedAt: string | null;
}

export interface RolloutPage {
  items: RolloutView[];
  nextToken?: string;
}

const NoteSchema = z.looseObject({ tenantCode: z.string(), reason: z.string(), at: z.string() });

/** The fields the CLI reads; the rest passes through untouched, so `--json` shows the whole answer. */
export const RolloutViewSchema: z.ZodType<RolloutView> = z.looseObject({
  rolloutId: z.string(),
  status: z.enum(ROLLOUT_STATUSES),
  moduleVersion: z.string(),
  selector: z.looseObject({
    tier: z.string().optional(),
    tenantCodes: z.array(z.string()).optional(),
    statuses: z.array(z.string()).optional(),
  }),
  maxConcurrent: z.number(),
  canary: z.number(),
  maxFailures: z.number(),
  counts: z.looseObject({
    total: z.number(),
    pending: z.number(),
    inProgress: z.number(),
    succeeded: z.number(),
    failed: z.number(),
    skipped: z.number(),
  }),
  failures: z.array(NoteSchema),
  skipped: z.array(NoteSchema),
  haltReason: z.string().nullable(),
  requestedBy: z.string(),
  createdAt: z.string(),
  startedAt: z.string(),
  updatedAt: z.string(),
  endedAt: z.string().nullable(),
});

export const RolloutPageSchema: z.ZodType<RolloutPage> = z.object({
  items: z.array(RolloutViewSchema),
  nextToken: z.string().optional(),
});

/**
 * One look at a rollout while `--wait` follows it: the latest view, and why it may be out of date (the
 * API could not be reached at the last poll; the rollout goes on meanwhile).
 */
export interface Sighting {
  rollout: RolloutView;
  unreachable?: string;
}

/** Tenants the rollout is done with: updated, failed or left out. */
export function doneCount(counts: RolloutCounts): number {
  return counts.succeeded + counts.failed + counts.skipped;
}

/**
 * Whether `--wait` can stop: the rollout ended (completed, canceled), or it stopped starting tenants
 * (halted, paused) and the updates it had started have all finished.
 */
export function isSettled(rollout: RolloutView): boolean {
  if (rollout.status === 'completed' || rollout.status === 'canceled') return true;
  return (rollout.status === 'halted' || rollout.status === 'paused') && rollout.counts.inProgress === 0;
}
