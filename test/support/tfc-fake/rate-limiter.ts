/**
 * TFC's documented rate limits as sliding windows per key (the user a token belongs to, or the client
 * address for unauthenticated requests): index.mdx "Rate Limiting", 30 requests per second per user
 * ("a user with multiple tokens will still be limited to 30 requests per second"); run.mdx, via
 * DESIGN.md "Terraform Cloud facts": listing a workspace's runs allows 30 requests per minute.
 *
 * index.mdx names `x-ratelimit-limit` only; the fake also sends `X-RateLimit-Remaining` and
 * `X-RateLimit-Reset`, and go-tfe reads the reset as a float number of seconds to wait
 * (`strconv.ParseFloat` in its `rateLimitBackoff`): the seconds until the oldest request leaves the
 * window.
 */

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window has room again (a slot frees). */
  resetSeconds: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, number[]>();

  public constructor(
    private readonly limit: number,
    private readonly now: () => number,
    private readonly windowMs = 1000,
  ) {}

  public get enabled(): boolean {
    return Number.isFinite(this.limit) && this.limit > 0;
  }

  public get max(): number {
    return this.limit;
  }

  /** What a request for `key` would get, without recording it. */
  public peek(key: string): RateDecision {
    return this.decide(key, false);
  }

  /** Records one request for `key` unless the window is full. */
  public take(key: string): RateDecision {
    return this.decide(key, true);
  }

  private decide(key: string, record: boolean): RateDecision {
    if (!this.enabled) return { allowed: true, limit: this.limit, remaining: this.limit, resetSeconds: 0 };
    const now = this.now();
    const window = (this.windows.get(key) ?? []).filter((at) => at > now - this.windowMs);
    this.windows.set(key, window);
    const allowed = window.length < this.limit;
    if (allowed && record) window.push(now);
    const oldest = window[0] ?? now;
    return {
      allowed,
      limit: this.limit,
      remaining: Math.max(0, this.limit - window.length),
      resetSeconds: window.length === 0 ? 0 : Math.max(0.001, (oldest + this.windowMs - now) / 1000),
    };
  }
}
