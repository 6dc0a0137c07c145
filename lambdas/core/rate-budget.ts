/**
 * One request budget per Terraform Cloud user, shared by every process that sends requests as that user.
 *
 * TFC limits requests per user, not per token or process (api-docs/index.mdx "Rate limiting": 30 requests
 * per second, shared by all of the user's tokens); listing a workspace's runs has its own, lower limit
 * (api-docs/run.mdx "List Runs in a Workspace": 30 per minute). Every Lambda instance and every local
 * flow therefore takes a turn from one shared budget before it sends a request.
 *
 * The budget cuts time into short windows and lets `perWindow` requests go out in each; a request reserves
 * its place in a window with one atomic conditional increment in a shared store (DynamoDB in AWS, memory
 * locally) and is sent during that window. The windows are sized so that ANY span of one period (a
 * sliding window, the strictest way TFC may count) overlaps at most `limit / perWindow` of them, even with
 * the arrival jitter of the network added: a plain fixed window of `limit` per period would let `limit`
 * requests go at the end of one period and `limit` more at the start of the next, twice the limit within
 * one second.
 */

/** Which limit a request counts against: every request counts against `api`, runs lists also `runs-list`. */
export type RateBucket = 'api' | 'runs-list';

export const RATE_PERIOD_MS: Readonly<Record<RateBucket, number>> = { api: 1000, 'runs-list': 60_000 };

/** How many windows a period is cut into at most: more windows, more throughput, more store writes. */
const MAX_WINDOWS_PER_PERIOD = 9;

export interface WindowPlan {
  /** Length of one window in milliseconds. */
  windowMs: number;
  /** Requests that may be sent within one window. */
  perWindow: number;
}

/**
 * The windows for `limit` requests per `periodMs`, when a request may arrive up to `jitterMs` after the
 * window it was sent in. A span of one period meets at most `1 + ceil((period + jitter) / window)` windows'
 * arrivals, so with `n` windows of at least `(period + jitter) / n` each and `floor(limit / (n + 1))`
 * requests per window, no span of one period sees more than `limit` arrivals.
 */
export function windowPlan(limit: number, periodMs: number, jitterMs: number): WindowPlan {
  const l = Math.max(2, Math.floor(limit));
  const n = Math.min(MAX_WINDOWS_PER_PERIOD, l - 1);
  return { windowMs: Math.ceil((periodMs + jitterMs) / n), perWindow: Math.floor(l / (n + 1)) };
}

/** Where the windows' counts live: one store shared by everyone who spends the budget. */
export interface RateWindowStore {
  /**
   * Counts one request in window `index` of `key` unless it already holds `perWindow`; true when counted.
   * Must be atomic across every process sharing the store. `expiresAt` (epoch ms) is when the count may go.
   */
  tryReserve(key: string, index: number, perWindow: number, expiresAt: number): Promise<boolean>;
}

/** A process-wide store: the budget of every flow of one process (the local control plane). */
export class MemoryRateWindowStore implements RateWindowStore {
  private readonly counts = new Map<string, { count: number; expiresAt: number }>();

  public tryReserve(key: string, index: number, perWindow: number, expiresAt: number): Promise<boolean> {
    const id = `${key}:${index}`;
    const entry = this.counts.get(id) ?? { count: 0, expiresAt };
    if (entry.count >= perWindow) return Promise.resolve(false);
    entry.count += 1;
    this.counts.set(id, entry);
    if (this.counts.size > 1000) {
      const now = Date.now();
      for (const [k, v] of this.counts) if (v.expiresAt < now) this.counts.delete(k);
    }
    return Promise.resolve(true);
  }
}

export interface RateBudgetOptions {
  store: RateWindowStore;
  /** Configured limits per period; what TFC reports in `X-RateLimit-Limit` can only lower them. */
  limits: Readonly<Record<RateBucket, number>>;
  /** Spread of request arrival times on the server (network latency jitter). @default 100 */
  jitterMs?: number;
  /** Names the user whose budget this is, so two users (or environments) never share windows. */
  scope: string;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Resolves when one request may be sent; see the module comment. */
export interface RateBudget {
  take(bucket: RateBucket): Promise<void>;
  /** TFC's `X-RateLimit-Limit` for a request of `bucket`: the budget never plans above it. */
  observeLimit(bucket: RateBucket, limit: number): void;
}

const sleepMs = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class WindowedRateBudget implements RateBudget {
  private readonly limits: Record<RateBucket, number>;
  private readonly observed: Partial<Record<RateBucket, number>> = {};
  /** Per bucket, the first window this process has not yet found full: a reservation starts there. */
  private readonly frontier = new Map<string, number>();
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly jitterMs: number;

  public constructor(private readonly options: RateBudgetOptions) {
    this.limits = { ...options.limits };
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? sleepMs;
    this.jitterMs = options.jitterMs ?? 100;
    for (const [bucket, limit] of Object.entries(this.limits)) {
      if (!Number.isInteger(limit) || limit < 2)
        throw new RangeError(`rate limit of ${bucket} must be an integer ≥ 2`);
    }
  }

  /** The plan in force for `bucket`: the configured limit, lowered to what TFC last reported. */
  public plan(bucket: RateBucket): WindowPlan {
    const limit = Math.min(this.limits[bucket], this.observed[bucket] ?? Infinity);
    return windowPlan(limit, RATE_PERIOD_MS[bucket], this.jitterMs);
  }

  public observeLimit(bucket: RateBucket, limit: number): void {
    if (Number.isInteger(limit) && limit >= 1) this.observed[bucket] = limit;
  }

  public async take(bucket: RateBucket): Promise<void> {
    for (;;) {
      const { windowMs, perWindow } = this.plan(bucket);
      // The plan is part of the key: windows of different lengths must never share a count.
      const key = `${this.options.scope}#${bucket}#${windowMs}x${perWindow}`;
      let index = Math.max(Math.floor(this.now() / windowMs), this.frontier.get(key) ?? 0);
      const expiresAt = (index + 1) * windowMs + 3600_000;
      while (!(await this.options.store.tryReserve(key, index, perWindow, expiresAt))) index += 1;
      this.frontier.set(key, index);
      const start = index * windowMs;
      const wait = start - this.now();
      if (wait > 0) await this.sleep(wait);
      // Woken after the window ended (a stalled event loop): the place is lost, take another one.
      if (this.now() < start + windowMs) return;
    }
  }
}
