import {
  CLEAR_LINE,
  formatElapsed,
  SPINNER,
  SPINNER_MS,
  table,
  type Progress,
  type ProgressOptions,
} from './render';
import { doneCount, type RolloutPage, type RolloutView, type Sighting, type TenantNote } from './rollout';

/** Tenant codes named in a one-line summary before the rest are only counted. */
const CODES_SHOWN = 5;
const BAR_WIDTH = 20;

/** `45s`, `12m05s`, `3h07m`: rollouts over thousands of tenants take hours. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.ceil(ms / 1000));
  if (seconds < 3600) return formatElapsed(seconds * 1000);
  const minutes = Math.floor(seconds / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

function selectorText(selector: RolloutView['selector']): string {
  const parts: string[] = [];
  if (selector.tier) parts.push(`tier ${selector.tier}`);
  if (selector.statuses) parts.push(`status ${selector.statuses.join(' or ')}`);
  if (selector.tenantCodes) {
    const codes = selector.tenantCodes;
    const more = codes.length > CODES_SHOWN ? ` and ${codes.length - CODES_SHOWN} more` : '';
    parts.push(`tenants ${codes.slice(0, CODES_SHOWN).join(', ')}${more}`);
  }
  return parts.length > 0 ? parts.join('; ') : 'every tenant that is not deleted';
}

function wavesText(r: RolloutView): string {
  const canary = r.canary > 0 ? `canary of ${r.canary} alone, then ` : '';
  const tolerated =
    r.maxFailures === 0 ? 'halts at the first failure' : `halts when more than ${r.maxFailures} fail`;
  return `${canary}up to ${r.maxConcurrent} at once; ${tolerated}`;
}

/** `12/30 done (10 succeeded, 1 failed, 1 skipped), 5 in flight, 13 pending`. */
export function countsText(r: RolloutView): string {
  const c = r.counts;
  return (
    `${doneCount(c)}/${c.total} done (${c.succeeded} succeeded, ${c.failed} failed, ${c.skipped} skipped), ` +
    `${c.inProgress} in flight, ${c.pending} pending`
  );
}

function oneLine(text: string): string {
  return text.replace(/\s*\r?\n\s*/g, ' ');
}

function notesSection(title: string, notes: readonly TenantNote[], count: number): string | undefined {
  if (count === 0 && notes.length === 0) return undefined;
  const rows = notes.map((n) => [n.tenantCode, n.at, oneLine(n.reason)]);
  const unlisted = count - notes.length;
  const more = unlisted > 0 ? `\n  (${unlisted} more not listed)` : '';
  return `${title} (${count}):\n${table([['TENANT', 'AT', 'REASON'], ...rows], '  ')}${more}`;
}

/** A readable summary of one rollout: status, what it selects, how it waves, progress, failures. */
export function renderRollout(r: RolloutView): string {
  const facts = table(
    [
      ['module version', r.moduleVersion],
      ['tenants', selectorText(r.selector)],
      ['waves', wavesText(r)],
      ['progress', countsText(r)],
      ['requested by', r.requestedBy],
      ['created', r.createdAt],
      ['started', r.startedAt],
      ['updated', r.updatedAt],
      ['ended', r.endedAt ?? '-'],
    ],
    '  ',
  );
  const sections = [`${r.rolloutId}  ${r.status}\n${facts}`];
  if (r.haltReason) sections.push(`Halt reason:\n  ${oneLine(r.haltReason)}`);
  const failures = notesSection('Failures', r.failures, r.counts.failed);
  if (failures) sections.push(failures);
  const skipped = notesSection('Skipped', r.skipped, r.counts.skipped);
  if (skipped) sections.push(skipped);
  return `${sections.join('\n\n')}\n`;
}

/** One row per rollout, newest first as the API sends them, and how to get the next page. */
export function renderRolloutList(page: RolloutPage): string {
  if (page.items.length === 0 && !page.nextToken) return 'No rollouts.\n';
  const header = ['ROLLOUT', 'STATUS', 'MODULE VERSION', 'DONE', 'IN FLIGHT', 'FAILED', 'CREATED'];
  const rows = page.items.map((r) => [
    r.rolloutId,
    r.status,
    r.moduleVersion,
    `${doneCount(r.counts)}/${r.counts.total}`,
    String(r.counts.inProgress),
    String(r.counts.failed),
    r.createdAt,
  ]);
  const more = page.nextToken ? `\nMore rollouts: add --all, or --next-token ${page.nextToken}\n` : '';
  return `${table([header, ...rows])}\n${more}`;
}

/** `ro-… running 12/30 done, 5 in flight, 0 failed`: the line printed when any of it changes. */
export function progressLine(r: RolloutView): string {
  const c = r.counts;
  return `${r.rolloutId} ${r.status} ${doneCount(c)}/${c.total} done, ${c.inProgress} in flight, ${c.failed} failed`;
}

/** How many tenants were done, when. */
export interface Sample {
  at: number;
  done: number;
}

/**
 * Time left at `latest`, at the rate tenants got done since `first`; unknown until one got done.
 */
export function remainingMs(first: Sample, latest: Sample, total: number): number | undefined {
  const progressed = latest.done - first.done;
  const took = latest.at - first.at;
  if (progressed <= 0 || took <= 0) return undefined;
  return ((total - latest.done) * took) / progressed;
}

function bar(done: number, total: number): string {
  const filled = total > 0 ? Math.min(BAR_WIDTH, Math.floor((done / total) * BAR_WIDTH)) : BAR_WIDTH;
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`;
}

function staleText(s: Sighting): string {
  return s.unreachable ? ` (as last seen: ${s.unreachable}; still trying)` : '';
}

export function createRolloutProgress(options: ProgressOptions): Progress<Sighting> {
  return options.isTTY ? ttyProgress(options) : lineProgress(options);
}

/** Non-terminal output (CI logs, pipes): a line only when the status, a count shown or reachability changes. */
function lineProgress({ write, now, startedAt }: ProgressOptions): Progress<Sighting> {
  let last: string | undefined;
  const update = (s: Sighting) => {
    const text = `${progressLine(s.rollout)}${staleText(s)}`;
    if (text === last) return;
    last = text;
    write(`[${formatElapsed(now() - startedAt)}] ${text}\n`);
  };
  return { update, finish: update };
}

/**
 * A terminal: one line redrawn in place, cut to the terminal's width so it never wraps: a bar of done
 * out of total, in flight, failed and the time left at the rate seen since the first poll.
 */
function ttyProgress({ write, now, startedAt, columns, every }: ProgressOptions): Progress<Sighting> {
  let frame = 0;
  let first: Sample | undefined;
  let latest: Sample | undefined;
  let current: Sighting | undefined;
  const eta = (r: RolloutView): string => {
    if (r.status !== 'running' || !first || !latest) return 'ETA --';
    const left = remainingMs(first, latest, r.counts.total);
    return left === undefined ? 'ETA --' : `ETA ${formatDuration(left - (now() - latest.at))}`;
  };
  const draw = () => {
    if (!current) return;
    const r = current.rollout;
    const c = r.counts;
    const spinner = SPINNER[frame++ % SPINNER.length] ?? '';
    const trouble = current.unreachable ? ` · ${current.unreachable}, still trying` : '';
    const text =
      `${spinner} ${r.status} ${bar(doneCount(c), c.total)} ${doneCount(c)}/${c.total} done · ` +
      `${c.inProgress} in flight · ${c.failed} failed · ${eta(r)}${trouble} · ${r.rolloutId}`;
    const width = columns?.();
    write(`${CLEAR_LINE}${width && width > 1 ? text.slice(0, width - 1) : text}`);
  };
  const stop = every?.(SPINNER_MS, draw);
  return {
    update: (s) => {
      // A stale view says nothing about the rate.
      if (!s.unreachable) {
        const sample = { at: now(), done: doneCount(s.rollout.counts) };
        first ??= sample;
        latest = sample;
      }
      current = s;
      draw();
    },
    finish: (s) => {
      stop?.();
      write(
        `${CLEAR_LINE}${progressLine(s.rollout)}${staleText(s)} after ${formatElapsed(now() - startedAt)}\n`,
      );
    },
  };
}
