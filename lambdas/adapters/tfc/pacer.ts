/**
 * Spaces one process's requests so it never sends more than `perSecond` (TFC allows 30 requests/s per
 * user, api-docs/index.mdx "Rate limiting"). Many flows sharing one client then queue here instead of
 * all hitting 429 at once and burning their retries.
 */
export class RequestPacer {
  private nextSlot = 0;

  public constructor(
    private readonly perSecond: number,
    private readonly sleep: (ms: number) => Promise<void>,
    private readonly now: () => number = Date.now,
  ) {
    if (!(perSecond > 0)) throw new RangeError('requestsPerSecond must be positive');
  }

  /** Resolves when this request may go. */
  public async take(): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlot);
    // Whole milliseconds, rounded up: rounding must never fit one request too many into a second.
    this.nextSlot = slot + Math.ceil(1000 / this.perSecond);
    if (slot > now) await this.sleep(slot - now);
  }
}
