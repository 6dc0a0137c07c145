import type { Context } from 'aws-lambda';
import { taskHandler } from '../../../lambdas/handlers/flow/wiring';
import { TransientError } from '../../../lambdas/core/errors';
import { lambdaHandler } from '../../../lambdas/shared/middleware';
import { currentLogger, logger, metrics } from '../../../lambdas/shared/observability';

/** The structured lines the Powertools logger writes while `fn` runs, and how often metrics were flushed. */
async function observe(
  fn: () => Promise<void>,
): Promise<{ lines: Array<Record<string, unknown>>; flushes: number }> {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  const flush = jest.spyOn(metrics, 'publishStoredMetrics');
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
    // The middleware puts the configured level (SILENT in tests) back at each invocation's start.
    jest.spyOn(logger, 'refreshSampleRateCalculation').mockImplementation(() => undefined),
  ];
  logger.setLogLevel('INFO');
  try {
    await fn();
  } finally {
    logger.setLogLevel('SILENT');
    for (const spy of spies) spy.mockRestore();
  }
  const flushes = flush.mock.calls.length;
  flush.mockRestore();
  const lines = written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { lines, flushes };
}

const contextOf = (awsRequestId: string) =>
  ({ awsRequestId, functionName: 'trigger', getRemainingTimeInMillis: () => 1000 }) as Context;

describe('lambdaHandler (Powertools middleware for every function)', () => {
  it("does not carry one invocation's tenantCode and flowId into the next", async () => {
    const task = taskHandler(async (input: { tenantCode: string; flowId: string; note?: string }) => {
      // A key appended to the shared logger during an invocation is reset when it ends.
      if (input.note) logger.appendKeys({ note: input.note });
      currentLogger().info('working');
      return Promise.resolve();
    });

    const { lines } = await observe(async () => {
      await task({ tenantCode: 'alpha', flowId: 'flow-a', note: 'first only' }, contextOf('req-1'));
      await task({ tenantCode: 'beta', flowId: 'flow-b' }, contextOf('req-2'));
      logger.info('between invocations');
    });

    const working = lines.filter((l) => l.message === 'working');
    expect(working.map((l) => [l.tenantCode, l.flowId, l.function_request_id])).toEqual([
      ['alpha', 'flow-a', 'req-1'],
      ['beta', 'flow-b', 'req-2'],
    ]);
    expect(working[1]).not.toHaveProperty('note');
    const after = lines.find((l) => l.message === 'between invocations');
    expect(after).toBeDefined();
    for (const key of ['tenantCode', 'flowId', 'note']) expect(after).not.toHaveProperty(key);
  });

  it('flushes the metrics once per invocation, a failed one included', async () => {
    const handler = lambdaHandler(async (event: { fail: boolean }) => {
      metrics.addMetric('Probe', 'Count', 1);
      if (event.fail) throw new Error('failed after counting');
      return Promise.resolve('done');
    });

    const { flushes } = await observe(async () => {
      await handler({ fail: false }, contextOf('req-1'));
      await expect(handler({ fail: true }, contextOf('req-2'))).rejects.toThrow('failed after counting');
      expect(metrics.hasStoredMetrics()).toBe(false);
      await handler({ fail: false });
    });

    expect(flushes).toBe(3);
  });

  it('hands the error names the state machine matches to Step Functions unchanged', async () => {
    const transient = taskHandler(() =>
      Promise.reject(Object.assign(new Error('TFC 503'), { retryable: true })),
    );
    const alreadyTransient = taskHandler(() => Promise.reject(new TransientError('already transient')));
    const input = { tenantCode: 'gamma', flowId: 'flow-g' };

    await expect(transient(input, contextOf('req-1'))).rejects.toMatchObject({ name: 'TransientError' });
    await expect(alreadyTransient(input)).rejects.toBeInstanceOf(TransientError);
    const named = lambdaHandler(() =>
      Promise.reject(Object.assign(new Error('x'), { name: 'TenantFailed' })),
    );
    await expect(named({})).rejects.toMatchObject({ name: 'TenantFailed', message: 'x' });
  });
});
