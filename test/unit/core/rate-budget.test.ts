import {
  MemoryRateWindowStore,
  RATE_PERIOD_MS,
  WindowedRateBudget,
  windowPlan,
  type RateBucket,
} from '../../../lambdas/core/rate-budget';

/** The most arrivals within any span of `periodMs` (a sliding window, the strictest way to count). */
function peak(arrivals: number[], periodMs: number): number {
  const sorted = [...arrivals].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[end] ?? 0) - (sorted[start] ?? 0) >= periodMs) start += 1;
    best = Math.max(best, end - start + 1);
  }
  return best;
}

/** A budget on simulated time: sleeping moves the clock, so the densest possible schedule comes out. */
function simulated(limits: Record<RateBucket, number>, jitterMs = 100) {
  let now = 1_700_000_000_123;
  const budget = new WindowedRateBudget({
    store: new MemoryRateWindowStore(),
    scope: 'app.terraform.io/acme',
    limits,
    jitterMs,
    now: () => now,
    sleep: (ms) => {
      now += ms;
      return Promise.resolve();
    },
  });
  return { budget, now: () => now };
}

describe('windowPlan', () => {
  it('cuts TFC’s 30 requests/s into 9 windows of 3, each long enough for 100 ms of arrival jitter', () => {
    expect(windowPlan(30, 1000, 100)).toEqual({ windowMs: 123, perWindow: 3 });
    expect(windowPlan(30, 60_000, 100)).toEqual({ windowMs: 6678, perWindow: 3 });
  });

  it('keeps at least one request per window for small limits', () => {
    expect(windowPlan(2, 1000, 0)).toEqual({ windowMs: 1000, perWindow: 1 });
    expect(windowPlan(5, 1000, 0)).toEqual({ windowMs: 250, perWindow: 1 });
  });

  it('never lets (windows a period can touch) × perWindow exceed the limit', () => {
    for (let limit = 2; limit <= 300; limit += 1) {
      for (const jitter of [0, 100, 250]) {
        const { windowMs, perWindow } = windowPlan(limit, 1000, jitter);
        const touched = 1 + Math.ceil((1000 + jitter) / windowMs);
        expect(touched * perWindow).toBeLessThanOrEqual(limit);
        expect(perWindow).toBeGreaterThanOrEqual(1);
      }
    }
  });
});

describe('WindowedRateBudget', () => {
  it('keeps every one-second span at or under 30 arrivals, even with the worst arrival jitter', async () => {
    const { budget, now } = simulated({ api: 30, 'runs-list': 30 });
    const arrivals: number[] = [];
    for (let i = 0; i < 600; i += 1) {
      await budget.take('api');
      // Alternate the extremes of the jitter, the worst case for a sliding window.
      arrivals.push(now() + (i % 2 === 0 ? 0 : 100));
    }
    expect(peak(arrivals, 1000)).toBeLessThanOrEqual(30);
    // ...while still sending about 24 requests/s (9 windows of 3 per 1.1 s).
    const seconds = ((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0)) / 1000;
    expect(600 / seconds).toBeGreaterThan(23);
  });

  it('keeps the runs-list budget at 30 per minute on its own windows', async () => {
    const { budget, now } = simulated({ api: 30, 'runs-list': 30 });
    const arrivals: number[] = [];
    for (let i = 0; i < 90; i += 1) {
      await budget.take('runs-list');
      arrivals.push(now());
    }
    expect(peak(arrivals, RATE_PERIOD_MS['runs-list'])).toBeLessThanOrEqual(30);
  });

  it('shares one store between budgets, as Lambda instances share the coordination table', async () => {
    const store = new MemoryRateWindowStore();
    let now = 1_700_000_000_000;
    const clockSleep = (ms: number) => {
      now += ms;
      return Promise.resolve();
    };
    const make = () =>
      new WindowedRateBudget({
        store,
        scope: 'app.terraform.io/acme',
        limits: { api: 30, 'runs-list': 30 },
        now: () => now,
        sleep: clockSleep,
      });
    const workers = [make(), make(), make()];
    const arrivals: number[] = [];
    for (let i = 0; i < 300; i += 1) {
      await workers[i % 3]?.take('api');
      arrivals.push(now);
    }
    expect(peak(arrivals, 1000)).toBeLessThanOrEqual(30);
  });

  it('plans below the configured limit when TFC reports a lower X-RateLimit-Limit, never above it', () => {
    const { budget } = simulated({ api: 30, 'runs-list': 30 });
    budget.observeLimit('api', 10);
    expect(budget.plan('api')).toEqual(windowPlan(10, 1000, 100));
    budget.observeLimit('api', 100);
    expect(budget.plan('api')).toEqual(windowPlan(30, 1000, 100));
    budget.observeLimit('runs-list', Number.NaN);
    expect(budget.plan('runs-list')).toEqual(windowPlan(30, 60_000, 100));
  });

  it('would be twice over the limit as a plain fixed window of 30 per second (the edge burst)', () => {
    // 30 requests at the end of one fixed second and 30 at the start of the next: all within 2 ms.
    const fixedWindow = [...Array.from({ length: 30 }, () => 999), ...Array.from({ length: 30 }, () => 1000)];
    expect(peak(fixedWindow, 1000)).toBe(60);
  });

  it('refuses a limit it cannot promise', () => {
    const make = (api: number) => () =>
      new WindowedRateBudget({
        store: new MemoryRateWindowStore(),
        scope: 's',
        limits: { api, 'runs-list': 30 },
      });
    expect(make(1)).toThrow(RangeError);
    expect(make(2.5)).toThrow(RangeError);
  });
});
