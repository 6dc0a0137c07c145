import type { TenantError, TenantRetry, TenantView } from '../core/tenant';
import { REDACTED } from '../core/tenant';
import type { Fleet, HistoryItem, HistoryPage, TenantPage } from './api-client';
import type { ApiAnswerError, ConnectionError, CredentialsError } from './errors';
import type { Session } from './run';

/** Columns padded to their widest cell, two spaces apart, no trailing blanks. */
export function table(rows: readonly (readonly string[])[], indent = ''): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map(
      (row) =>
        indent +
        row
          .map((cell, i) => cell.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

/** A value as `--json` prints it: indented, with a final newline. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

export function formatElapsed(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
}

function runText(run: TenantView['run']): string {
  return run ? `${run.id} (${run.status ?? 'unknown'})` : '-';
}

/** The run and, when the API gives one, where to read it (TFC's run page, or the local run's log). */
function runWithLink(run: TenantView['run']): string {
  const link = (run as { link?: unknown } | null)?.link;
  return typeof link === 'string' ? `${runText(run)} ${link}` : runText(run);
}

function outputText(name: string, value: unknown, sensitive: readonly string[]): string {
  if (sensitive.includes(name)) return REDACTED;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return (text ?? 'null').replace(/\r?\n/g, '\\n');
}

function variablesText(variables: Record<string, string>): string {
  const pairs = Object.entries(variables).map(([k, v]) => `${k}=${v}`);
  return pairs.length > 0 ? pairs.join(' ') : '-';
}

export function lastErrorText(error: TenantError): string {
  return `${error.code}: ${error.message} (at ${error.at})`;
}

/** `connection refused (ECONNREFUSED) at app.terraform.io, attempt 3 of 5 (since …)`. */
export function retryingText(r: TenantRetry): string {
  const step = r.attempt >= r.maxAttempts ? ', the flow retries the step' : '';
  return `${r.reason}, attempt ${r.attempt} of ${r.maxAttempts}${step} (since ${r.since})`;
}

function outputsSection(t: TenantView): string {
  const names = Object.keys(t.outputs);
  for (const name of t.sensitiveOutputs) if (!names.includes(name)) names.push(name);
  if (names.length === 0) return 'Outputs: none';
  const rows = names.sort().map((name) => [name, outputText(name, t.outputs[name], t.sensitiveOutputs)]);
  return `Outputs:\n${table([['NAME', 'VALUE'], ...rows], '  ')}`;
}

/** A readable summary of one tenant: status, tier, run, variables, outputs, last error. */
export function renderTenant(t: TenantView): string {
  const facts = table(
    [
      ['tier', t.tier],
      ['run', runWithLink(t.run)],
      ...(t.retrying ? [['retrying', retryingText(t.retrying)]] : []),
      ['workspace', t.workspaceId ?? '-'],
      ['decommission', t.decommissionDate ?? '-'],
      ['variables', variablesText(t.variables)],
      ['last action', `${t.action} by ${t.requestedBy}`],
      ['created', t.createdAt],
      ['updated', t.updatedAt],
    ],
    '  ',
  );
  const sections = [`${t.tenantCode}  ${t.status}\n${facts}`, outputsSection(t)];
  if (t.lastError) sections.push(`Last error:\n  ${lastErrorText(t.lastError)}`);
  return `${sections.join('\n\n')}\n`;
}

/** One row per tenant, and how to get the next page when there is one. */
export function renderList(page: TenantPage): string {
  if (page.items.length === 0 && !page.nextToken) return 'No tenants.\n';
  const header = ['CODE', 'STATUS', 'TIER', 'RUN', 'DECOMMISSION', 'UPDATED'];
  const rows = page.items.map((t) => [
    t.tenantCode,
    t.status,
    t.tier,
    runText(t.run),
    t.decommissionDate ?? '-',
    t.updatedAt,
  ]);
  const more = page.nextToken ? `\nMore tenants: add --all, or --next-token ${page.nextToken}\n` : '';
  return `${table([header, ...rows])}\n${more}`;
}

function historyDetail(item: HistoryItem): string {
  const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  switch (item.kind) {
    case 'request': {
      const changes = item.changes === undefined ? '' : ` ${text(item.changes)}`;
      return `${item.action ?? '?'} by ${item.requestedBy ?? '?'}${changes}`;
    }
    case 'run':
      return `${item.runId ?? '?'} ${item.status ?? '?'}${item.link ? ` ${item.link}` : ''}`;
    case 'status':
      return `${item.from ?? '-'} -> ${item.to ?? '?'}${item.reason ? `: ${item.reason}` : ''}`;
    default:
      return text(item);
  }
}

/** The fleet summary: the current module version, then counts per status and per module version. */
export function renderFleet(fleet: Fleet): string {
  const statuses = Object.entries(fleet.byStatus).map(([status, n]) => [status, String(n)]);
  const versions = Object.entries(fleet.byModuleVersion)
    .sort(([, a], [, b]) => b - a)
    .map(([version, n]) => [
      version === fleet.currentModuleVersion ? `${version} (current)` : version,
      String(n),
    ]);
  return [
    `Current module version: ${fleet.currentModuleVersion}`,
    `Tenants: ${fleet.total} (not deleted), ${fleet.behind} behind the current version`,
    '',
    table([['STATUS', 'TENANTS'], ...statuses]),
    '',
    versions.length
      ? table([['MODULE VERSION', 'TENANTS'], ...versions])
      : 'No tenants on any module version.',
    '',
  ].join('\n');
}

/** A tenant's history, newest first: when, what kind, what happened, under which flow. */
export function renderHistory(page: HistoryPage): string {
  if (page.items.length === 0 && !page.nextToken) return 'No history.\n';
  const rows = page.items.map((item) => [item.at, item.kind, historyDetail(item), item.flowId ?? '-']);
  const more = page.nextToken ? `\nOlder entries: add --all, or --next-token ${page.nextToken}\n` : '';
  return `${table([['AT', 'KIND', 'WHAT', 'FLOW'], ...rows])}\n${more}`;
}

function detailsText(details: unknown): string[] {
  if (details === undefined) return [];
  if (Array.isArray(details)) {
    return details.map((d) => {
      const issue = d as { path?: unknown; message?: unknown };
      return typeof issue.message === 'string'
        ? `  - ${typeof issue.path === 'string' && issue.path ? `${issue.path}: ` : ''}${issue.message}`
        : `  - ${JSON.stringify(d)}`;
    });
  }
  if (typeof details === 'object' && details !== null) {
    return Object.entries(details).map(
      ([k, v]) => `  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`,
    );
  }
  return [`  ${JSON.stringify(details)}`];
}

export function renderApiError(error: ApiAnswerError): string {
  return [`error: ${error.code}: ${error.message} (HTTP ${error.status})`, ...detailsText(error.details)]
    .map((line) => `${line}\n`)
    .join('');
}

/** The first `code` found on the error, its cause or the errors it aggregates (ECONNREFUSED…). */
export function networkCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') return code;
  return networkCode(cause) ?? (Array.isArray(errors) ? networkCode(errors[0]) : undefined);
}

export function renderConnectionError(error: ConnectionError): string {
  const code = networkCode(error.cause);
  const hint = error.loopback
    ? 'is `npm start` running? (or point elsewhere with --endpoint / TENANTCTL_ENDPOINT)'
    : "check the endpoint and that this host can reach the API's VPC endpoint (run from the admin host)";
  return `error: ${error.message}${code ? ` (${code})` : ''}\nhint: ${hint}\n`;
}

export function renderCredentialsError(error: CredentialsError): string {
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return (
    `error: ${error.message}${cause}\n` +
    'hint: on the admin host the instance role provides them; elsewhere set AWS_PROFILE or AWS_ACCESS_KEY_ID\n'
  );
}

/** Reports progress while `--wait` polls: a tenant's, or a rollout's. */
export interface Progress<T = TenantView> {
  update(value: T): void;
  /** Leaves the output clean for whatever is printed next. */
  finish(value: T): void;
}

export interface ProgressOptions {
  write: (text: string) => void;
  now: () => number;
  startedAt: number;
  /** One line redrawn in place with a spinner; otherwise a plain line per change. */
  isTTY: boolean;
  /** The terminal's width now, when known: a redrawn line must not wrap. */
  columns?: () => number | undefined;
  /** Redraws between polls (see `Clock.every`); absent, a terminal's line is drawn at each poll only. */
  every?: (ms: number, tick: () => void) => () => void;
}

/** Where `--wait` reports progress: stderr, timed from `startedAt`, redrawn in place on a terminal. */
export function progressOutput(session: Pick<Session, 'io' | 'clock'>, startedAt: number): ProgressOptions {
  const { io, clock } = session;
  return {
    write: (text) => io.stderr.write(text),
    now: () => clock.now(),
    startedAt,
    isTTY: io.isTTY,
    ...(io.columns ? { columns: io.columns } : {}),
    ...(clock.every ? { every: clock.every.bind(clock) } : {}),
  };
}

export const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
export const SPINNER_MS = 100;
/** Back to the start of the line and erase it: the redrawn line of a terminal's progress. */
export const CLEAR_LINE = '\r\x1b[2K';

function progressText(t: TenantView): string {
  const run = t.run
    ? `run ${t.run.status ?? 'unknown'}`
    : t.queuedSince
      ? `queued for a run slot since ${t.queuedSince}`
      : 'no run yet';
  const retrying = t.retrying ? `, retrying: ${retryingText(t.retrying)}` : '';
  return `${t.tenantCode}: ${t.status}, ${run}${retrying}`;
}

export function createProgress(options: ProgressOptions): Progress {
  return options.isTTY ? ttyProgress(options) : lineProgress(options);
}

/** Non-terminal output (CI logs, pipes): a line only when the status or the run changes. */
function lineProgress({ write, now, startedAt }: ProgressOptions): Progress {
  let last: string | undefined;
  const update = (t: TenantView) => {
    const text = progressText(t);
    if (text === last) return;
    last = text;
    write(`[${formatElapsed(now() - startedAt)}] ${text}\n`);
  };
  return { update, finish: update };
}

/** A terminal: one line with a spinner and the elapsed time, animated between polls. */
function ttyProgress({ write, now, startedAt }: ProgressOptions): Progress {
  let frame = 0;
  let current: TenantView | undefined;
  const draw = () => {
    if (!current) return;
    const spinner = SPINNER[frame++ % SPINNER.length] ?? '';
    write(`${CLEAR_LINE}${spinner} ${progressText(current)} · ${formatElapsed(now() - startedAt)}`);
  };
  const timer = setInterval(draw, SPINNER_MS);
  timer.unref();
  return {
    update: (t) => {
      current = t;
      draw();
    },
    finish: (t) => {
      clearInterval(timer);
      write(`${CLEAR_LINE}${progressText(t)} after ${formatElapsed(now() - startedAt)}\n`);
    },
  };
}
