import { localConfigFromEnv } from '../../../lambdas/local/config';
import { ConfigError } from '../../../lambdas/shared/config';

const TFC = { TFC_TOKEN: 't0k3n', TFC_ORGANIZATION: 'acme' };

describe('local configuration (npm start)', () => {
  it('defaults to 10 runs at once, and to 30 requests/s and 30 runs lists/min against TFC', () => {
    const config = localConfigFromEnv({ ...TFC });
    expect(config).toMatchObject({
      maxConcurrentRuns: 10,
      queuedWaitSeconds: 10,
      tfc: { requestsPerSecond: 30, runsListPerMinute: 30 },
    });
    expect(localConfigFromEnv({})).toMatchObject({ maxConcurrentRuns: 10, queuedWaitSeconds: 1 });
  });

  it('takes the limits from the environment', () => {
    const config = localConfigFromEnv({
      ...TFC,
      TFC_MAX_CONCURRENT_RUNS: '3',
      TFC_REQUESTS_PER_SECOND: '20',
      TFC_RUNS_LIST_PER_MINUTE: '12',
      ADMISSION_WAIT_SECONDS: '5',
    });
    expect(config).toMatchObject({
      maxConcurrentRuns: 3,
      queuedWaitSeconds: 5,
      tfc: { requestsPerSecond: 20, runsListPerMinute: 12 },
    });
  });

  it.each([
    ['TFC_MAX_CONCURRENT_RUNS', '0', '1 to 1000'],
    ['TFC_MAX_CONCURRENT_RUNS', '2.5', '1 to 1000'],
    ['TFC_MAX_CONCURRENT_RUNS', 'ten', '1 to 1000'],
    ['TFC_MAX_CONCURRENT_RUNS', '1000000', '1 to 1000'],
    ['TFC_REQUESTS_PER_SECOND', '1', '2 to 1000'],
    ['TFC_REQUESTS_PER_SECOND', '-30', '2 to 1000'],
    ['TFC_REQUESTS_PER_SECOND', '30.5', '2 to 1000'],
    ['TFC_RUNS_LIST_PER_MINUTE', '5000', '2 to 1000'],
    ['ADMISSION_WAIT_SECONDS', '0', '1 to 900'],
  ])('refuses %s=%s at start, naming it and its bounds', (name, value, bounds) => {
    const start = () => localConfigFromEnv({ ...TFC, [name]: value });
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(`invalid configuration: ${name} (must be an integer from ${bounds})`);
  });

  it('turns run notifications on by default, to this server unless TFC_NOTIFICATION_URL says otherwise', () => {
    expect(localConfigFromEnv({ ...TFC }).notifications).toEqual({});
    expect(localConfigFromEnv({}).notifications).toEqual({});
    expect(
      localConfigFromEnv({ ...TFC, TFC_NOTIFICATION_URL: 'https://hooks.example.com/tfc/notifications' })
        .notifications,
    ).toEqual({ url: 'https://hooks.example.com/tfc/notifications' });
    expect(localConfigFromEnv({ ...TFC, TFC_NOTIFICATIONS: 'false' }).notifications).toBeUndefined();
    expect(localConfigFromEnv({ ...TFC, TFC_NOTIFICATIONS: 'true' }).notifications).toEqual({});
  });

  it.each([
    ['TFC_NOTIFICATIONS', 'yes'],
    ['TFC_NOTIFICATIONS', '0'],
    ['TFC_NOTIFICATION_URL', 'not a url'],
    ['TFC_NOTIFICATION_URL', 'ftp://example.com/x'],
  ])('refuses %s=%s, naming it', (name, value) => {
    expect(() => localConfigFromEnv({ ...TFC, [name]: value })).toThrow(ConfigError);
    expect(() => localConfigFromEnv({ ...TFC, [name]: value })).toThrow(name);
  });
});
