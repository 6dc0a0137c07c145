/**
 * TFC's documented rate limit (api-docs/index.mdx, "Rate Limiting"): 30 requests per second per user
 * (unauthenticated requests per IP address). A sliding one-second window per key.
 *
 * go-tfe reads `X-RateLimit-Reset` as a float number of seconds to wait (`strconv.ParseFloat` in its
 * `rateLimitBackoff`), so the fake sends the seconds until the oldest request leaves the window.
 */

const WINDOW_MS = 1000;

export type RateDecision =
  | { allowed: true; limit: number; remaining: number }
  | { allowed: false; limit: number; resetSeconds: number };

export class RateLimiter {
  private readonly windows = new Map<string, number[]>();

  public constructor(
    private readonly limit: number,
    private readonly now: () => number,
  ) {}

  public get enabled(): boolean {
    return Number.isFinite(this.limit) && this.limit > 0;
  }

  /** Records one request for `key` unless the window is full. */
  public take(key: string): RateDecision {
    if (!this.enabled) return { allowed: true, limit: this.limit, remaining: this.limit };
    const now = this.now();
    const window = (this.windows.get(key) ?? []).filter((at) => at > now - WINDOW_MS);
    this.windows.set(key, window);
    if (window.length >= this.limit) {
      const oldest = window[0] ?? now;
      return {
        allowed: false,
        limit: this.limit,
        resetSeconds: Math.max(0.001, (oldest + WINDOW_MS - now) / 1000),
      };
    }
    window.push(now);
    return { allowed: true, limit: this.limit, remaining: this.limit - window.length };
  }
}
