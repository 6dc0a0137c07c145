import * as z from 'zod';
import { BUNDLED_MODULE_DIR, DEFAULT_HISTORY_RETENTION_DAYS, DEFAULT_TFC_ADDRESS } from '../core/defaults';
import type { Action } from '../core/flows';
import { MODULE_VERSION_LABEL_PATTERN, MODULE_VERSION_LABEL_RULE } from '../core/module-version';
import { envVar, nonEmpty } from '../shared/config';

/**
 * What several function families read from their environment, named once: the CDK constructs set these
 * variables (and grant what they imply), the families' loaders read them through the variables below.
 * Each family's own variables are in its `contract.ts`. Plain data and zod: the CDK app imports it without
 * the AWS SDK.
 */
export const TABLE_ENV = {
  /** The tenant table. */
  tenants: 'TABLE_NAME',
  /** The history table every tenant writer appends to. */
  history: 'HISTORY_TABLE_NAME',
  /** Days a history item is kept. */
  historyRetentionDays: 'HISTORY_RETENTION_DAYS',
  /** Idempotency-Key records of the write routes. */
  idempotency: 'IDEMPOTENCY_TABLE_NAME',
  /** Request budget windows and the admission queue. */
  coordination: 'COORDINATION_TABLE_NAME',
} as const;

/** Each action's bus; the construct that sets one grants PutEvents on it. */
export const BUS_ENV = {
  create: 'CREATE_BUS_NAME',
  update: 'UPDATE_BUS_NAME',
  delete: 'DELETE_BUS_NAME',
} as const satisfies Record<Action, string>;

/** The lifecycle topic (TenantReady, TenantFailed, …). */
export const TOPIC_ENV = 'TOPIC_ARN';

/** Where the tenants' workspaces live: TFC's address, the organization and this deployment's name. */
export const TFC_ENV = {
  address: 'TFC_ADDRESS',
  organization: 'TFC_ORGANIZATION',
  environment: 'ENVIRONMENT_NAME',
} as const;

/** The tenant module bundled with the function, and the label its version carries. */
export const MODULE_ENV = {
  dir: 'TF_MODULE_DIR',
  versionLabel: 'MODULE_VERSION_LABEL',
} as const;

const positiveInteger = z.coerce.number().int().positive();

export const tenantTableVar = envVar(TABLE_ENV.tenants, nonEmpty);

/** The history table a writer appends to, and its retention. */
export const HISTORY_VARS = {
  historyTable: envVar(TABLE_ENV.history, nonEmpty),
  historyRetentionDays: envVar(
    TABLE_ENV.historyRetentionDays,
    positiveInteger.default(DEFAULT_HISTORY_RETENTION_DAYS),
  ),
};

export const TFC_LOCATION_VARS = {
  tfcAddress: envVar(TFC_ENV.address, z.url().default(DEFAULT_TFC_ADDRESS)),
  tfcOrganization: envVar(TFC_ENV.organization, nonEmpty),
  environmentName: envVar(TFC_ENV.environment, nonEmpty),
};

export const MODULE_VARS = {
  moduleDir: envVar(MODULE_ENV.dir, nonEmpty.default(BUNDLED_MODULE_DIR)),
  moduleVersionLabel: envVar(
    MODULE_ENV.versionLabel,
    z.string().regex(MODULE_VERSION_LABEL_PATTERN, MODULE_VERSION_LABEL_RULE).optional(),
  ),
};

/** The bus of one action. */
export function busVar(action: Action) {
  return envVar(BUS_ENV[action], nonEmpty);
}

/** A positive whole number of seconds (or attempts) with its default. */
export function positiveSetting(fallback: number) {
  return positiveInteger.default(fallback);
}

/** The environment of a function that reads the bundled module (the construct also bundles the module). */
export function moduleEnvironment(versionLabel: string | undefined): Record<string, string> {
  return {
    [MODULE_ENV.dir]: BUNDLED_MODULE_DIR,
    ...(versionLabel ? { [MODULE_ENV.versionLabel]: versionLabel } : {}),
  };
}

/** The environment naming where the tenants' workspaces live. */
export function tfcLocationEnvironment(location: {
  address: string;
  organization: string;
  environment: string;
}): Record<string, string> {
  return {
    [TFC_ENV.address]: location.address,
    [TFC_ENV.organization]: location.organization,
    [TFC_ENV.environment]: location.environment,
  };
}
