import * as z from 'zod';
import { TENANT_STATUSES, type TenantStatus } from './lifecycle';
import { MODULE_VERSION_PATTERN, MODULE_VERSION_RULE } from './module-version';
import { TIERS, type Tier } from './tenant';
import { TenantCodeSchema, type TenantCode } from './tenant-code';

/**
 * A rollout applies one module version to a selection of tenants through their normal update flows, in
 * waves: the canary tenants first and alone, then the rest, at most `maxConcurrent` at once, halting when
 * more than `maxFailures` tenants failed. The rollout's record is the truth; the state machine that drives
 * it can be restarted at any time and picks up where the record says.
 */
export const ROLLOUT_STATUSES = ['running', 'paused', 'halted', 'completed', 'canceled'] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

/** A rollout that may still start tenants; it holds its module version's lock. */
export const ACTIVE_ROLLOUT_STATUSES: readonly RolloutStatus[] = ['running', 'paused', 'halted'];

/** One tenant's place in a rollout. */
export const ROLLOUT_ITEM_STATES = ['pending', 'inProgress', 'succeeded', 'failed', 'skipped'] as const;
export type RolloutItemState = (typeof ROLLOUT_ITEM_STATES)[number];

export const ROLLOUT_EVENTS = ['RolloutStarted', 'RolloutHalted', 'RolloutCompleted'] as const;
export type RolloutEventName = (typeof ROLLOUT_EVENTS)[number];

export const ROLLOUT_DEFAULTS = { maxConcurrent: 5, canary: 1, maxFailures: 0 } as const;
export const MAX_CONCURRENT_LIMIT = 50;

export interface RolloutTimings {
  /** Seconds between two looks at a tenant whose update runs. */
  watchSeconds: number;
  /** Seconds before a tenant busy with another request, or a rollout with every place taken, is asked again. */
  busySeconds: number;
  /** Looks at a tenant busy with another request before it is skipped. */
  maxBusyAttempts: number;
}

export const DEFAULT_ROLLOUT_TIMINGS: RolloutTimings = {
  watchSeconds: 30,
  busySeconds: 60,
  maxBusyAttempts: 10,
};
/** Most tenants one rollout selects: the ids travel in the state machine's input (256 KB). */
export const MAX_ROLLOUT_TENANTS = 5000;
export const MAX_SELECTOR_CODES = 1000;

/** Statuses a selector may name: every status but `deleted`. In-progress tenants wait their turn. */
export const SELECTABLE_STATUSES = TENANT_STATUSES.filter(
  (s): s is Exclude<TenantStatus, 'deleted'> => s !== 'deleted',
);

/** `requestedBy` of the updates a rollout starts: history and events show which rollout asked. */
export function rolloutRequester(rolloutId: string): string {
  return `rollout:${rolloutId}`;
}

export const ROLLOUT_ID_PATTERN = /^ro-[0-9]{8}t[0-9]{6}-[0-9a-f]{6}$/;

/** A new rollout id, sortable by creation time: `ro-20261202t041500-3fa9c1`. */
export function newRolloutId(now: Date, random: () => string): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 15).toLowerCase();
  return `ro-${stamp}-${random().slice(0, 6)}`;
}

const count = (name: string, min: number, max?: number) => {
  const rule =
    max === undefined ? `a whole number of at least ${min}` : `a whole number from ${min} to ${max}`;
  let schema = z.number({ error: `${name} must be ${rule}` }).int(`${name} must be ${rule}`);
  schema = schema.min(min, `${name} must be ${rule}`);
  if (max !== undefined) schema = schema.max(max, `${name} must be ${rule}`);
  return schema;
};

export const RolloutSelectorSchema = z
  .strictObject({
    tier: z.enum(TIERS).optional(),
    tenantCodes: z
      .array(TenantCodeSchema)
      .min(1)
      .max(MAX_SELECTOR_CODES)
      .refine((codes) => new Set(codes).size === codes.length, { message: 'must not repeat a tenant code' })
      .optional(),
    statuses: z
      .array(z.enum(SELECTABLE_STATUSES))
      .min(1)
      .refine((s) => new Set(s).size === s.length, { message: 'must not repeat a status' })
      .optional(),
  })
  .meta({
    id: 'RolloutSelector',
    description: 'Which tenants: all given fields must match; absent, every tenant that is not deleted',
  });
export type RolloutSelector = z.infer<typeof RolloutSelectorSchema>;

export const CreateRolloutSchema = z.strictObject({
  moduleVersion: z
    .string()
    .regex(MODULE_VERSION_PATTERN, MODULE_VERSION_RULE)
    .optional()
    .meta({ description: 'Must be the current module version (GET /fleet); default: the current one' }),
  selector: RolloutSelectorSchema.optional(),
  maxConcurrent: count('maxConcurrent', 1, MAX_CONCURRENT_LIMIT).default(ROLLOUT_DEFAULTS.maxConcurrent),
  canary: count('canary', 0, MAX_CONCURRENT_LIMIT)
    .default(ROLLOUT_DEFAULTS.canary)
    .meta({ description: 'How many tenants go first, alone; the rest wait for all of them to succeed' }),
  maxFailures: count('maxFailures', 0)
    .default(ROLLOUT_DEFAULTS.maxFailures)
    .meta({ description: 'Failures tolerated; one more halts the rollout (0: the first failure halts)' }),
});
export type CreateRolloutRequest = z.infer<typeof CreateRolloutSchema>;

export const RolloutCountsSchema = z.strictObject({
  total: z.number().int(),
  pending: z.number().int(),
  inProgress: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
});
export type RolloutCounts = z.infer<typeof RolloutCountsSchema>;

const TenantNoteSchema = z.strictObject({
  tenantCode: z.string(),
  reason: z.string(),
  at: z.string(),
});

/** Most failures and skips one answer lists (the counts are exact). */
export const MAX_LISTED_NOTES = 100;

export const RolloutViewSchema = z
  .strictObject({
    rolloutId: z.string(),
    status: z.enum(ROLLOUT_STATUSES),
    moduleVersion: z.string(),
    selector: RolloutSelectorSchema,
    maxConcurrent: z.number().int(),
    canary: z.number().int(),
    maxFailures: z.number().int(),
    counts: RolloutCountsSchema,
    failures: z
      .array(TenantNoteSchema)
      .meta({ description: `Tenants whose update failed, with the reason (at most ${MAX_LISTED_NOTES})` }),
    skipped: z.array(TenantNoteSchema).meta({
      description: `Tenants left out, with the reason: deleted, busy throughout, already current (at most ${MAX_LISTED_NOTES})`,
    }),
    haltReason: z.string().nullable(),
    requestedBy: z.string(),
    createdAt: z.string(),
    startedAt: z.string().meta({ description: 'When the rollout last started or resumed' }),
    updatedAt: z.string(),
    endedAt: z.string().nullable(),
  })
  .meta({ id: 'Rollout' });
export type RolloutView = z.infer<typeof RolloutViewSchema>;

export const RolloutPageSchema = z
  .strictObject({ items: z.array(RolloutViewSchema), nextToken: z.string().optional() })
  .meta({ id: 'RolloutPage' });

export const RolloutIdSchema = z.string().regex(ROLLOUT_ID_PATTERN, 'is not a rollout id (ro-<time>-<hex>)');
export const RolloutPathSchema = z.strictObject({ id: RolloutIdSchema });

/** The stored rollout: its view without the listed notes (those are read from its tenants). */
export type Rollout = Omit<RolloutView, 'failures' | 'skipped' | 'selector'> & {
  selector: RolloutSelector;
  /** Tenants in the canary, in order (the first `canary` of the selection). */
  canaryCodes: TenantCode[];
};

export interface RolloutItem {
  rolloutId: string;
  tenantCode: TenantCode;
  /** Position in the rollout: canary first. */
  order: number;
  canary: boolean;
  state: RolloutItemState;
  /** The update flow the rollout started for this tenant. */
  flowId?: string;
  /** Why it failed or was skipped. */
  reason?: string;
  /** How many times the tenant was found busy with another flow. */
  busyAttempts: number;
  updatedAt: string;
}

/** Whether a rollout's request is allowed in its status, and the status it moves to. */
export const ROLLOUT_COMMANDS = {
  pause: { from: ['running'], to: 'paused' },
  resume: { from: ['paused', 'halted'], to: 'running' },
  cancel: { from: ['running', 'paused', 'halted'], to: 'canceled' },
} as const satisfies Record<string, { from: readonly RolloutStatus[]; to: RolloutStatus }>;
export type RolloutCommand = keyof typeof ROLLOUT_COMMANDS;

/** What the tenant selection keeps: the selector's match, applied to one tenant row. */
export function matchesSelector(
  tenant: { tenantCode: string; status: TenantStatus; tier: Tier },
  selector: RolloutSelector,
): boolean {
  if (tenant.status === 'deleted') return false;
  if (selector.tier && tenant.tier !== selector.tier) return false;
  if (selector.statuses && !selector.statuses.includes(tenant.status)) return false;
  if (selector.tenantCodes && !selector.tenantCodes.includes(tenant.tenantCode as TenantCode)) return false;
  return true;
}

/** The failure that halts: any failure in the canary, or one more than `maxFailures`. */
export function shouldHalt(rollout: Pick<Rollout, 'maxFailures' | 'counts'>, canaryFailed: boolean): boolean {
  return canaryFailed || rollout.counts.failed > rollout.maxFailures;
}

/** A running rollout with nothing pending nor in progress is complete. */
export function isDone(counts: RolloutCounts): boolean {
  return counts.pending === 0 && counts.inProgress === 0;
}

const StepErrorSchema = z.looseObject({ Error: z.string().optional(), Cause: z.string().optional() });

/** What the rollout state machine's tasks send: the step, the rollout and (per tenant) the tenant code. */
export const RolloutStepEventSchema = z.discriminatedUnion('step', [
  z.looseObject({ step: z.literal('plan'), rolloutId: RolloutIdSchema }),
  z.looseObject({
    step: z.enum(['apply', 'watch']),
    rolloutId: RolloutIdSchema,
    tenantCode: TenantCodeSchema,
  }),
  z.looseObject({
    step: z.literal('fail'),
    rolloutId: RolloutIdSchema,
    tenantCode: TenantCodeSchema,
    error: StepErrorSchema,
  }),
  z.looseObject({ step: z.literal('finish'), rolloutId: RolloutIdSchema, error: StepErrorSchema.optional() }),
]);
export type RolloutStepEvent = z.infer<typeof RolloutStepEventSchema>;
