import { parseArgs } from 'node:util';
import type { z } from 'zod';
import { VariablesSchema } from '../core/api-schema';
import { TENANT_STATUSES, type TenantStatus } from '../core/lifecycle';
import { MODULE_VERSION_PATTERN, MODULE_VERSION_RULE } from '../core/module-version';
import { TIERS, type Tier } from '../core/tenant';
import { TENANT_CODE_PATTERN, type TenantCode } from '../core/tenant-code';
import { UsageError } from './errors';
import {
  ROLLOUT_ID_PATTERN,
  ROLLOUT_SUBCOMMANDS,
  SELECTABLE_STATUSES,
  type RolloutAction,
  type RolloutSelector,
  type RolloutSubcommand,
  type SelectableStatus,
  type StartRolloutBody,
} from './rollout';

export const COMMANDS = [
  'create',
  'get',
  'list',
  'update',
  'delete',
  'wait',
  'history',
  'logs',
  'ops',
  'fleet',
  'rollout',
  'completion',
] as const;
export type CommandName = (typeof COMMANDS)[number];

/** Every flag of every command; which command accepts which is {@link ALLOWED}. */
const OPTIONS = {
  endpoint: { type: 'string' },
  'host-header': { type: 'string' },
  region: { type: 'string' },
  sigv4: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
  tier: { type: 'string' },
  var: { type: 'string', multiple: true },
  'decommission-date': { type: 'string' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  interval: { type: 'string' },
  // Repeatable for `rollout start`; `list` takes one.
  status: { type: 'string', multiple: true },
  limit: { type: 'string' },
  all: { type: 'boolean' },
  'include-deleted': { type: 'boolean' },
  'next-token': { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  run: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'module-version': { type: 'string' },
  tenant: { type: 'string', multiple: true },
  'max-concurrent': { type: 'string' },
  canary: { type: 'string' },
  'max-failures': { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;
type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

const GLOBAL_OPTIONS: readonly OptionName[] = [
  'endpoint',
  'host-header',
  'region',
  'sigv4',
  'json',
  'help',
  'version',
];
const WAIT_OPTIONS: readonly OptionName[] = ['wait', 'timeout', 'interval'];
const PAGE_OPTIONS: readonly OptionName[] = ['limit', 'all', 'next-token'];
/** What each `rollout` subcommand takes; `rollout` as a whole takes their union. */
const ROLLOUT_ALLOWED: { readonly [S in RolloutSubcommand]: readonly OptionName[] } = {
  start: [
    'module-version',
    'tier',
    'tenant',
    'status',
    'max-concurrent',
    'canary',
    'max-failures',
    ...WAIT_OPTIONS,
  ],
  status: WAIT_OPTIONS,
  list: PAGE_OPTIONS,
  pause: WAIT_OPTIONS,
  resume: WAIT_OPTIONS,
  cancel: WAIT_OPTIONS,
};
const ALLOWED: { readonly [C in CommandName]: readonly OptionName[] } = {
  create: ['tier', 'var', 'decommission-date', ...WAIT_OPTIONS],
  get: WAIT_OPTIONS,
  list: ['status', 'module-version', 'limit', 'all', 'include-deleted', 'next-token'],
  update: ['tier', 'var', 'decommission-date', ...WAIT_OPTIONS],
  delete: ['yes', ...WAIT_OPTIONS],
  wait: ['timeout', 'interval'],
  history: PAGE_OPTIONS,
  logs: ['run'],
  ops: ['dry-run'],
  fleet: [],
  rollout: [...new Set(Object.values(ROLLOUT_ALLOWED).flat())],
  completion: [],
};

export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];
export const OPS = ['decommission', 'reconcile'] as const;
export type OpsName = (typeof OPS)[number];

export const DEFAULT_TIMEOUT_SECONDS = 600;
export const DEFAULT_INTERVAL_SECONDS = 1;
const MAX_LIST_LIMIT = 100;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Where to send requests and how; resolved against the environment by `resolveTarget`. */
export interface GlobalOptions {
  endpoint?: string;
  hostHeader?: string;
  region?: string;
  sigv4: boolean;
  json: boolean;
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
}

export type Variables = z.infer<typeof VariablesSchema>;

/** How a listing command pages: one page (from `nextToken`), or with `all` every page. */
export interface PageOptions {
  limit?: number;
  all: boolean;
  nextToken?: string;
}

export type Command =
  | { kind: 'help'; topic?: CommandName }
  | { kind: 'version' }
  | {
      kind: 'create';
      tenantCode: TenantCode;
      body: { tier?: Tier; variables?: Variables; decommissionDate?: string };
      wait?: WaitOptions;
    }
  | { kind: 'get'; tenantCode: TenantCode; wait?: WaitOptions }
  | ({ kind: 'list'; status?: TenantStatus; moduleVersion?: string; includeDeleted: boolean } & PageOptions)
  | { kind: 'wait'; tenantCode: TenantCode; wait: WaitOptions }
  | ({ kind: 'history'; tenantCode: TenantCode } & PageOptions)
  | { kind: 'logs'; tenantCode: TenantCode; runId?: string }
  | { kind: 'ops'; name: OpsName; dryRun: boolean }
  | { kind: 'fleet' }
  | { kind: 'rollout-start'; body: StartRolloutBody; wait?: WaitOptions }
  | { kind: 'rollout-status'; rolloutId: string; wait?: WaitOptions }
  | ({ kind: 'rollout-list' } & PageOptions)
  | { kind: 'rollout-action'; action: RolloutAction; rolloutId: string; wait?: WaitOptions }
  | { kind: 'completion'; shell: Shell }
  | {
      kind: 'update';
      tenantCode: TenantCode;
      changes: { tier?: Tier; variables?: Variables; decommissionDate?: string | null };
      wait?: WaitOptions;
    }
  | { kind: 'delete'; tenantCode: TenantCode; yes: boolean; wait?: WaitOptions };

export interface ParsedArgs {
  command: Command;
  global: GlobalOptions;
}

/** Parses a command line into a typed command; anything wrong is a {@link UsageError} (exit 2). */
export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  const { values, positionals } = parseStrict(argv, argv.find(isCommandName));
  const global = globalOptions(values);
  const [first, ...rest] = positionals;
  if (values.version && !values.help) return { command: { kind: 'version' }, global };
  if (first === 'help') return { command: helpFor(rest[0]), global };
  if (first === undefined) {
    if (values.help) return { command: { kind: 'help' }, global };
    throw new UsageError('missing command');
  }
  if (!isCommandName(first)) throw new UsageError(`unknown command '${first}'`);
  if (values.help) return { command: { kind: 'help', topic: first }, global };
  rejectForeignOptions(first, values);
  return { command: COMMAND_PARSERS[first](rest, values), global };
}

function parseStrict(argv: readonly string[], command: CommandName | undefined) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Node's messages go on about `--`; the first sentence is the useful part.
    throw new UsageError(firstSentence(message), command);
  }
}

function firstSentence(message: string): string {
  const end = message.indexOf('. ');
  return end === -1 ? message : message.slice(0, end);
}

function globalOptions(values: Values): GlobalOptions {
  return {
    ...(values.endpoint === undefined ? {} : { endpoint: values.endpoint }),
    ...(values['host-header'] === undefined ? {} : { hostHeader: values['host-header'] }),
    ...(values.region === undefined ? {} : { region: values.region }),
    sigv4: values.sigv4 ?? false,
    json: values.json ?? false,
  };
}

function isCommandName(value: string): value is CommandName {
  return (COMMANDS as readonly string[]).includes(value);
}

function helpFor(topic: string | undefined): Command {
  if (topic === undefined) return { kind: 'help' };
  if (!isCommandName(topic)) throw new UsageError(`unknown command '${topic}'`);
  return { kind: 'help', topic };
}

function rejectForeignOptions(command: CommandName, values: Values): void {
  rejectForeign(command, ALLOWED[command], values, command);
}

function rejectForeign(
  what: string,
  accepted: readonly OptionName[],
  values: Values,
  command: CommandName,
): void {
  const allowed = new Set<string>([...GLOBAL_OPTIONS, ...accepted]);
  const foreign = Object.keys(values).filter((name) => !allowed.has(name));
  if (foreign.length > 0) {
    const names = foreign.map((name) => `--${name}`).join(', ');
    throw new UsageError(`${what} does not take ${names}`, command);
  }
}

type TenantCommandName = Extract<Command, { tenantCode: TenantCode }>['kind'] & CommandName;

/** The parser of a command on one tenant: its one argument is the tenant code; `options` reads the rest. */
function onTenant<K extends TenantCommandName>(
  kind: K,
  options: (values: Values) => Omit<Extract<Command, { kind: K }>, 'kind' | 'tenantCode'>,
): (args: string[], values: Values) => Command {
  // TypeScript does not check a spread of a generic type against the union member: the signature does.
  return (args, values) =>
    ({ kind, tenantCode: onlyTenantCode(args, kind), ...options(values) }) as Extract<Command, { kind: K }>;
}

const COMMAND_PARSERS: { readonly [C in CommandName]: (args: string[], values: Values) => Command } = {
  create: (args, values) => {
    const body = {
      ...optional('tier', tierOption(values.tier, 'create')),
      ...optional('variables', variablesOption(values.var, 'create')),
      ...optional('decommissionDate', dateOption(values['decommission-date'], 'create')),
    };
    return {
      kind: 'create',
      tenantCode: onlyTenantCode(args, 'create'),
      body,
      ...waitOption(values, 'create'),
    };
  },
  get: onTenant('get', (values) => waitOption(values, 'get')),
  list: (args, values) => ({
    kind: 'list',
    ...listingOptions(args, values, 'list'),
    includeDeleted: values['include-deleted'] ?? false,
    ...optional('status', statusOption(values.status)),
    ...optional('moduleVersion', moduleVersionOption(values['module-version'], 'list')),
  }),
  update: (args, values) => {
    const tenantCode = onlyTenantCode(args, 'update');
    const changes = {
      ...optional('tier', tierOption(values.tier, 'update')),
      ...optional('variables', variablesOption(values.var, 'update')),
      ...optional('decommissionDate', clearableDateOption(values['decommission-date'])),
    };
    // No option at all is the retry: PATCH {} re-runs Terraform with the tenant's current values.
    return { kind: 'update', tenantCode, changes, ...waitOption(values, 'update') };
  },
  delete: onTenant('delete', (values) => ({ yes: values.yes ?? false, ...waitOption(values, 'delete') })),
  wait: onTenant('wait', (values) => ({ wait: waitSettings(values, 'wait') })),
  history: onTenant('history', (values) => pageOptions(values, 'history')),
  logs: onTenant('logs', (values) => optional('runId', runIdOption(values.run))),
  ops: (args, values) => {
    const [name, ...extra] = args;
    const op = OPS.find((o) => o === name);
    if (!op) throw new UsageError(`ops needs one of ${OPS.join(', ')}`, 'ops');
    if (extra.length > 0) throw new UsageError(`unexpected argument '${extra.join(' ')}'`, 'ops');
    if (values['dry-run'] && op !== 'decommission') {
      throw new UsageError('--dry-run only applies to ops decommission', 'ops');
    }
    return { kind: 'ops', name: op, dryRun: values['dry-run'] ?? false };
  },
  fleet: (args) => {
    noArguments(args, 'fleet');
    return { kind: 'fleet' };
  },
  rollout: (args, values) => {
    const [name, ...rest] = args;
    const sub = ROLLOUT_SUBCOMMANDS.find((s) => s === name);
    if (!sub) throw new UsageError(`rollout needs one of ${ROLLOUT_SUBCOMMANDS.join(', ')}`, 'rollout');
    rejectForeign(`rollout ${sub}`, ROLLOUT_ALLOWED[sub], values, 'rollout');
    return ROLLOUT_PARSERS[sub](rest, values);
  },
  completion: (args) => {
    const [name, ...extra] = args;
    const shell = SHELLS.find((s) => s === name);
    if (!shell || extra.length > 0)
      throw new UsageError(`completion needs one of ${SHELLS.join(', ')}`, 'completion');
    return { kind: 'completion', shell };
  },
};

function runIdOption(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw)) {
    throw new UsageError(`invalid --run '${raw}': use a run id such as run-abc123`, 'logs');
  }
  return raw;
}

/** `{ [key]: value }`, or nothing when the value is absent, so optional fields stay absent. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

function isTenantCode(value: string): value is TenantCode {
  return TENANT_CODE_PATTERN.test(value);
}

function onlyTenantCode(args: string[], command: CommandName): TenantCode {
  const [code, ...extra] = args;
  if (code === undefined) throw new UsageError(`${command} needs a tenant code`, command);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra.join(' ')}'`, command);
  if (!isTenantCode(code)) {
    throw new UsageError(
      `invalid tenant code '${code}': must be 3-32 lowercase letters, digits or hyphens, starting with a letter`,
      command,
    );
  }
  return code;
}

function noArguments(args: string[], command: CommandName): void {
  if (args.length > 0) throw new UsageError(`unexpected argument '${args.join(' ')}'`, command);
}

function tierOption(raw: string | undefined, command: CommandName): Tier | undefined {
  if (raw === undefined) return undefined;
  const tier = TIERS.find((t) => t === raw);
  if (!tier) throw new UsageError(`invalid --tier '${raw}': use one of ${TIERS.join(', ')}`, command);
  return tier;
}

function statusOption(all: string[] | undefined): TenantStatus | undefined {
  if (all === undefined) return undefined;
  if (all.length > 1) throw new UsageError('list takes one --status', 'list');
  const raw = all[0];
  const status = TENANT_STATUSES.find((s) => s === raw);
  if (!status) {
    throw new UsageError(`invalid --status '${raw}': use one of ${TENANT_STATUSES.join(', ')}`, 'list');
  }
  return status;
}

function moduleVersionOption(raw: string | undefined, command: CommandName): string | undefined {
  if (raw === undefined) return undefined;
  if (!MODULE_VERSION_PATTERN.test(raw)) {
    throw new UsageError(`invalid --module-version '${raw}': ${MODULE_VERSION_RULE}`, command);
  }
  return raw;
}

/** `--all`, `--limit` and `--next-token`: how a listing command pages. */
function pageOptions(values: Values, command: CommandName): PageOptions {
  return {
    all: values.all ?? false,
    ...optional('limit', limitOption(values.limit, command)),
    ...optional('nextToken', values['next-token']),
  };
}

/** A listing of the whole collection: no argument, and the paging options. */
function listingOptions(args: string[], values: Values, command: CommandName): PageOptions {
  noArguments(args, command);
  return pageOptions(values, command);
}

function limitOption(raw: string | undefined, command: CommandName): number | undefined {
  if (raw === undefined) return undefined;
  const limit = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIST_LIMIT)) {
    throw new UsageError(`invalid --limit '${raw}': use a whole number from 1 to ${MAX_LIST_LIMIT}`, command);
  }
  return limit;
}

function variablesOption(raw: string[] | undefined, command: CommandName): Variables | undefined {
  if (raw === undefined) return undefined;
  const variables: Record<string, string> = {};
  for (const pair of raw) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid --var '${pair}': use --var name=value`, command);
    const name = pair.slice(0, eq);
    if (name in variables) throw new UsageError(`--var ${name} is given twice`, command);
    variables[name] = pair.slice(eq + 1);
  }
  const result = VariablesSchema.safeParse(variables);
  if (!result.success) throw new UsageError(`invalid --var: ${describeIssue(result.error.issues)}`, command);
  return result.data;
}

function describeIssue(issues: readonly z.core.$ZodIssue[]): string {
  const issue = issues[0];
  if (!issue) return 'invalid';
  const where = issue.path.map(String).join('.');
  const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
  return where ? `${where} ${message}` : message;
}

function isCalendarDate(value: string): boolean {
  const time = Date.parse(`${value}T00:00:00Z`);
  return ISO_DATE.test(value) && !Number.isNaN(time) && new Date(time).toISOString().startsWith(value);
}

/** Format only: whether the date is in the future is the API's call (its clock, its time zone). */
function dateOption(raw: string | undefined, command: CommandName): string | undefined {
  if (raw === undefined) return undefined;
  if (!isCalendarDate(raw)) {
    throw new UsageError(`invalid --decommission-date '${raw}': use a date as YYYY-MM-DD`, command);
  }
  return raw;
}

/** `none` clears the date. */
function clearableDateOption(raw: string | undefined): string | null | undefined {
  return raw === 'none' ? null : dateOption(raw, 'update');
}

function secondsOption(
  name: string,
  raw: string | undefined,
  fallback: number,
  command: CommandName,
): number {
  if (raw === undefined) return fallback * 1000;
  const seconds = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
  if (!(seconds > 0)) throw new UsageError(`invalid --${name} '${raw}': use a number of seconds`, command);
  return Math.round(seconds * 1000);
}

function waitOption(values: Values, command: CommandName): { wait?: WaitOptions } {
  if (!values.wait) {
    const stray = (['timeout', 'interval'] as const).find((name) => values[name] !== undefined);
    if (stray) throw new UsageError(`--${stray} only applies with --wait`, command);
    return {};
  }
  return { wait: waitSettings(values, command) };
}

function waitSettings(values: Values, command: CommandName): WaitOptions {
  return {
    timeoutMs: secondsOption('timeout', values.timeout, DEFAULT_TIMEOUT_SECONDS, command),
    intervalMs: secondsOption('interval', values.interval, DEFAULT_INTERVAL_SECONDS, command),
  };
}

const ROLLOUT_PARSERS: { readonly [S in RolloutSubcommand]: (args: string[], values: Values) => Command } = {
  start: (args, values) => {
    noArguments(args, 'rollout');
    const selector: RolloutSelector = {
      ...optional('tier', tierOption(values.tier, 'rollout')),
      ...optional('tenantCodes', tenantCodesOption(values.tenant)),
      ...optional('statuses', selectableStatusesOption(values.status)),
    };
    const body: StartRolloutBody = {
      ...optional('moduleVersion', moduleVersionOption(values['module-version'], 'rollout')),
      ...(Object.keys(selector).length > 0 ? { selector } : {}),
      ...optional('maxConcurrent', countOption('max-concurrent', values['max-concurrent'])),
      ...optional('canary', countOption('canary', values.canary)),
      ...optional('maxFailures', countOption('max-failures', values['max-failures'])),
    };
    return { kind: 'rollout-start', body, ...waitOption(values, 'rollout') };
  },
  status: (args, values) => ({
    kind: 'rollout-status',
    rolloutId: onlyRolloutId(args, 'status'),
    ...waitOption(values, 'rollout'),
  }),
  list: (args, values) => ({ kind: 'rollout-list', ...listingOptions(args, values, 'rollout') }),
  pause: (args, values) => rolloutAction('pause', args, values),
  resume: (args, values) => rolloutAction('resume', args, values),
  cancel: (args, values) => rolloutAction('cancel', args, values),
};

function rolloutAction(action: RolloutAction, args: string[], values: Values): Command {
  return {
    kind: 'rollout-action',
    action,
    rolloutId: onlyRolloutId(args, action),
    ...waitOption(values, 'rollout'),
  };
}

function onlyRolloutId(args: string[], sub: RolloutSubcommand): string {
  const [id, ...extra] = args;
  if (id === undefined) throw new UsageError(`rollout ${sub} needs a rollout id`, 'rollout');
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra.join(' ')}'`, 'rollout');
  if (!ROLLOUT_ID_PATTERN.test(id)) {
    throw new UsageError(
      `invalid rollout id '${id}': use the id \`rollout start\` or \`rollout list\` printed, e.g. ro-20261202t041500-3fa9c1`,
      'rollout',
    );
  }
  return id;
}

/**
 * A whole number, as the API's counts are; whether it is in range (e.g. --max-concurrent 1-50) is the
 * API's to judge, so its answer names the limit instead of a copy of it here.
 */
function countOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw new UsageError(`invalid --${name} '${raw}': use a whole number`, 'rollout');
  }
  return value;
}

function tenantCodesOption(raw: string[] | undefined): TenantCode[] | undefined {
  if (raw === undefined) return undefined;
  const codes: TenantCode[] = [];
  for (const code of raw) {
    if (!isTenantCode(code)) {
      throw new UsageError(
        `invalid --tenant '${code}': must be 3-32 lowercase letters, digits or hyphens, starting with a letter`,
        'rollout',
      );
    }
    if (codes.includes(code)) throw new UsageError(`--tenant ${code} is given twice`, 'rollout');
    codes.push(code);
  }
  return codes;
}

function selectableStatusesOption(raw: string[] | undefined): SelectableStatus[] | undefined {
  if (raw === undefined) return undefined;
  const statuses: SelectableStatus[] = [];
  for (const value of raw) {
    const status = SELECTABLE_STATUSES.find((s) => s === value);
    if (!status) {
      throw new UsageError(
        `invalid --status '${value}': use one of ${SELECTABLE_STATUSES.join(', ')}`,
        'rollout',
      );
    }
    if (statuses.includes(status)) throw new UsageError(`--status ${status} is given twice`, 'rollout');
    statuses.push(status);
  }
  return statuses;
}
