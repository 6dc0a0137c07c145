/**
 * The burst as one SVG (no charting dependency): three panels on a shared time axis, seconds since
 * the first POST: tenants ready over time (with the floor marked), TFC requests per second against
 * the user's limit (429s stacked on top), and runs executing in TFC against the organization's cap.
 */

export interface BurstChartData {
  title: string;
  /** Seconds from the start to each tenant's TenantReady. */
  readyAtSeconds: readonly number[];
  tenants: number;
  /** The least time the burst can take (the higher of the rate and run-concurrency floors). */
  floorSeconds: number | undefined;
  /** Per whole second since the start: API requests the fake answered, and its 429s. */
  answeredPerSecond: readonly number[];
  rateLimitedPerSecond: readonly number[];
  rateLimit: number;
  /** Runs planning or applying in TFC, sampled: [seconds since the start, count]. */
  runsInFlight: ReadonlyArray<readonly [number, number]>;
  runCap: number;
  /** The first panel's label. @default 'tenants ready' */
  readyLabel?: string;
  /** A second series in the runs panel (a rollout's tenants in progress), sampled: [seconds, count]. */
  inProgress?: ReadonlyArray<readonly [number, number]>;
  inProgressLabel?: string;
  /** @default 'seconds since the first POST' */
  xLabel?: string;
}

const WIDTH = 860;
const PANEL_HEIGHT = 170;
const GAP = 46;
const LEFT = 64;
const RIGHT = 150;
const TOP = 46;

const esc = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const fmt = (n: number): string => (Number.isInteger(n) ? String(n) : n.toFixed(1));

/** A round step for about `ticks` ticks over `max`. */
function step(max: number, ticks: number): number {
  const raw = Math.max(max, 1) / ticks;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const factor = [1, 2, 5, 10].find((f) => f * magnitude >= raw) ?? 10;
  return factor * magnitude;
}

interface Panel {
  top: number;
  yMax: number;
  label: string;
}

export function renderBurstChart(data: BurstChartData): string {
  const lastReady = Math.max(0, ...data.readyAtSeconds);
  const duration = Math.max(
    1,
    lastReady,
    data.answeredPerSecond.length,
    data.floorSeconds ?? 0,
    data.runsInFlight.at(-1)?.[0] ?? 0,
  );
  const plotWidth = WIDTH - LEFT - RIGHT;
  const x = (seconds: number): number => LEFT + (seconds / duration) * plotWidth;
  const panels: Panel[] = [
    { top: TOP, yMax: Math.max(data.tenants, 1), label: data.readyLabel ?? 'tenants ready' },
    {
      top: TOP + PANEL_HEIGHT + GAP,
      yMax: Math.max(
        data.rateLimit * 1.25,
        ...data.answeredPerSecond.map((a, i) => a + (data.rateLimitedPerSecond[i] ?? 0)),
      ),
      label: 'TFC requests per second',
    },
    {
      top: TOP + 2 * (PANEL_HEIGHT + GAP),
      yMax: Math.max(
        data.runCap * 1.25,
        ...data.runsInFlight.map(([, n]) => n),
        ...(data.inProgress ?? []).map(([, n]) => n),
      ),
      label: 'runs executing in TFC',
    },
  ];
  const y = (panel: Panel, value: number): number =>
    panel.top + PANEL_HEIGHT - (value / panel.yMax) * PANEL_HEIGHT;
  const height = TOP + 3 * PANEL_HEIGHT + 2 * GAP + 44;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="22" font-size="14" font-weight="bold">${esc(data.title)}</text>`,
  ];

  const xStep = step(duration, 10);
  for (const panel of panels) {
    const bottom = panel.top + PANEL_HEIGHT;
    out.push(
      `<text x="${LEFT}" y="${panel.top - 8}" font-weight="bold">${esc(panel.label)}</text>`,
      `<rect x="${LEFT}" y="${panel.top}" width="${plotWidth}" height="${PANEL_HEIGHT}" fill="none" stroke="#999"/>`,
    );
    const yStep = step(panel.yMax, 4);
    for (let v = 0; v <= panel.yMax; v += yStep) {
      const yy = y(panel, v);
      out.push(
        `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${yy}" y2="${yy}" stroke="#eee"/>`,
        `<text x="${LEFT - 6}" y="${yy + 4}" text-anchor="end">${fmt(v)}</text>`,
      );
    }
    for (let t = 0; t <= duration; t += xStep) {
      out.push(
        `<line x1="${x(t)}" x2="${x(t)}" y1="${bottom}" y2="${bottom + 4}" stroke="#999"/>`,
        `<text x="${x(t)}" y="${bottom + 16}" text-anchor="middle">${fmt(t)}</text>`,
      );
    }
  }
  const [ready, rate, runs] = panels as [Panel, Panel, Panel];

  // Panel 1: cumulative ready tenants as a step line, and the floor.
  const sorted = [...data.readyAtSeconds].sort((a, b) => a - b);
  const steps = [`M${x(0)},${y(ready, 0)}`];
  sorted.forEach((t, i) => steps.push(`L${x(t)},${y(ready, i)}`, `L${x(t)},${y(ready, i + 1)}`));
  steps.push(`L${x(duration)},${y(ready, sorted.length)}`);
  out.push(`<path d="${steps.join(' ')}" fill="none" stroke="#1f77b4" stroke-width="2"/>`);
  if (data.floorSeconds !== undefined && Number.isFinite(data.floorSeconds)) {
    const fx = x(data.floorSeconds);
    out.push(
      `<line x1="${fx}" x2="${fx}" y1="${ready.top}" y2="${ready.top + PANEL_HEIGHT}" stroke="#d62728" stroke-dasharray="5,4"/>`,
      `<text x="${fx + 4}" y="${ready.top + 14}" fill="#d62728">floor ${fmt(Math.round(data.floorSeconds * 10) / 10)} s</text>`,
    );
  }
  out.push(
    `<text x="${LEFT + plotWidth + 8}" y="${ready.top + 14}" fill="#1f77b4">ready: ${sorted.length}/${data.tenants}</text>`,
    `<text x="${LEFT + plotWidth + 8}" y="${ready.top + 30}" fill="#1f77b4">${sorted.length === data.tenants ? 'all' : 'last'} ready ${fmt(Math.round(lastReady * 10) / 10)} s</text>`,
  );

  // Panel 2: answered requests per second (bars), 429s stacked on top, the limit.
  const barWidth = Math.max(1, plotWidth / duration - 1);
  data.answeredPerSecond.forEach((answered, second) => {
    const limited = data.rateLimitedPerSecond[second] ?? 0;
    const base = y(rate, answered);
    out.push(
      `<rect x="${x(second)}" y="${base}" width="${barWidth}" height="${y(rate, 0) - base}" fill="#2ca02c"/>`,
    );
    if (limited > 0) {
      const top = y(rate, answered + limited);
      out.push(
        `<rect x="${x(second)}" y="${top}" width="${barWidth}" height="${base - top}" fill="#ff7f0e"/>`,
      );
    }
  });
  const ly = y(rate, data.rateLimit);
  out.push(
    `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${ly}" y2="${ly}" stroke="#d62728" stroke-dasharray="5,4"/>`,
    `<text x="${LEFT + plotWidth + 8}" y="${ly + 4}" fill="#d62728">limit ${data.rateLimit}/s</text>`,
    `<text x="${LEFT + plotWidth + 8}" y="${rate.top + 14}" fill="#2ca02c">answered</text>`,
    `<text x="${LEFT + plotWidth + 8}" y="${rate.top + 28}" fill="#ff7f0e">429</text>`,
  );

  // Panel 3: runs executing (step line), the optional second series, and the cap.
  const stepPath = (series: ReadonlyArray<readonly [number, number]>): string => {
    const path: string[] = [];
    let previous = 0;
    for (const [t, n] of series) {
      path.push(`${path.length === 0 ? 'M' : 'L'}${x(t)},${y(runs, previous)}`, `L${x(t)},${y(runs, n)}`);
      previous = n;
    }
    return path.join(' ');
  };
  if (data.runsInFlight.length > 0) {
    out.push(`<path d="${stepPath(data.runsInFlight)}" fill="none" stroke="#9467bd" stroke-width="2"/>`);
  }
  if (data.inProgress && data.inProgress.length > 0) {
    out.push(
      `<path d="${stepPath(data.inProgress)}" fill="none" stroke="#8c564b" stroke-width="1.5" stroke-dasharray="3,2"/>`,
      `<text x="${LEFT + plotWidth + 8}" y="${runs.top + 14}" fill="#9467bd">runs executing</text>`,
      `<text x="${LEFT + plotWidth + 8}" y="${runs.top + 28}" fill="#8c564b">${esc(data.inProgressLabel ?? 'in progress')}</text>`,
    );
  }
  const cy = y(runs, data.runCap);
  out.push(
    `<line x1="${LEFT}" x2="${LEFT + plotWidth}" y1="${cy}" y2="${cy}" stroke="#d62728" stroke-dasharray="5,4"/>`,
    `<text x="${LEFT + plotWidth + 8}" y="${cy + 4}" fill="#d62728">cap ${data.runCap}</text>`,
    `<text x="${LEFT + plotWidth / 2}" y="${height - 8}" text-anchor="middle">${esc(data.xLabel ?? 'seconds since the first POST')}</text>`,
    '</svg>',
  );
  return `${out.join('\n')}\n`;
}
