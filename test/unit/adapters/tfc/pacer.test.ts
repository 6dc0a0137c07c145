import { RequestPacer } from '../../../../lambdas/adapters/tfc/pacer';

describe('RequestPacer', () => {
  it('lets the first request go at once and spaces the rest 1/perSecond apart', async () => {
    let now = 1_000;
    const waits: number[] = [];
    const pacer = new RequestPacer(
      30,
      (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
      () => now,
    );

    await Promise.all([pacer.take(), pacer.take(), pacer.take(), pacer.take()]);

    expect(waits.map((w) => Math.round(w))).toEqual([34, 68, 102]);
    now += 1_000;
    await pacer.take();
    expect(waits).toHaveLength(3);
  });

  it('never sends more than perSecond in any second of a burst', async () => {
    let now = 0;
    const sent: number[] = [];
    const pacer = new RequestPacer(
      30,
      (ms) => {
        now += ms;
        return Promise.resolve();
      },
      () => now,
    );

    for (let i = 0; i < 300; i++) {
      await pacer.take();
      sent.push(now);
    }

    const perWindow = sent.map((t) => sent.filter((u) => u >= t && u < t + 1000).length);
    expect(Math.max(...perWindow)).toBeLessThanOrEqual(30);
  });

  it('rejects a rate that is not positive', () => {
    expect(() => new RequestPacer(0, () => Promise.resolve())).toThrow(RangeError);
  });
});
