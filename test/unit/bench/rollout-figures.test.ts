import { renderBurstChart } from '../../bench/chart';
import {
  peakExecuting,
  rolloutFloorSeconds,
  timeAverage,
  type RolloutSample,
} from '../../bench/rollout-figures';

describe('rollout bench figures', () => {
  describe('rolloutFloorSeconds', () => {
    it('is the canary run, then the other tenants cap at a time', () => {
      expect(rolloutFloorSeconds(200, 1, 10, 3000)).toBe(63);
      expect(rolloutFloorSeconds(200, 0, 10, 3000)).toBe(60);
      expect(rolloutFloorSeconds(30, 3, 5, 1000)).toBe(7);
    });

    it('counts a canary larger than the fleet as the fleet', () => {
      expect(rolloutFloorSeconds(2, 5, 10, 3000)).toBe(3);
    });
  });

  describe('peakExecuting', () => {
    it('counts overlapping runs, not runs that end as another starts or never started', () => {
      const runs = [
        { startedAt: 0, finishedAt: 10 },
        { startedAt: 5, finishedAt: 15 },
        { startedAt: 10, finishedAt: 20 },
        { startedAt: undefined, finishedAt: undefined },
        { startedAt: 12, finishedAt: undefined },
      ];
      expect(peakExecuting(runs)).toBe(3);
      expect(peakExecuting([])).toBe(0);
    });
  });

  describe('timeAverage', () => {
    const sample = (at: number, inProgress: number): RolloutSample => ({
      at,
      status: 'running',
      inProgress,
      succeeded: 0,
      failed: 0,
      updating: 0,
      executing: 0,
    });

    it('weighs each sample by the time until the next', () => {
      expect(timeAverage([sample(0, 10), sample(3, 0), sample(4, 0)], (s) => s.inProgress)).toBe(7.5);
    });

    it('is NaN without a span', () => {
      expect(timeAverage([sample(1, 5)], (s) => s.inProgress)).toBeNaN();
    });
  });

  describe('renderBurstChart for a rollout', () => {
    it('draws the second series and the labels it is given', () => {
      const svg = renderBurstChart({
        title: 'rollout <200>',
        readyAtSeconds: [1, 2],
        readyLabel: 'tenants updated',
        tenants: 2,
        floorSeconds: 63,
        answeredPerSecond: [3, 4],
        rateLimitedPerSecond: [0, 1],
        rateLimit: 30,
        runsInFlight: [
          [0, 1],
          [1, 2],
        ],
        runCap: 10,
        inProgress: [
          [0, 2],
          [1, 12],
        ],
        inProgressLabel: 'rollout inProgress',
        xLabel: 'seconds since POST /rollouts',
      });
      expect(svg).toContain('rollout &lt;200&gt;');
      expect(svg).toContain('tenants updated');
      expect(svg).toContain('rollout inProgress');
      expect(svg).toContain('seconds since POST /rollouts');
      expect(svg.match(/<path /g)).toHaveLength(3);
    });
  });
});
