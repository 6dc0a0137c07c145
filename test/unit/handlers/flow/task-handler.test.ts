import { taskHandler } from '../../../../lambdas/handlers/flow/wiring';
import { logger } from '../../../../lambdas/shared/observability';

/** The structured lines the Powertools logger writes (errors go to stderr) while `fn` runs. */
async function logLines(fn: () => Promise<void>): Promise<Array<Record<string, unknown>>> {
  const written: string[] = [];
  const capture = (chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(capture),
    jest.spyOn(process.stderr, 'write').mockImplementation(capture),
    // The handler middleware puts the configured level (SILENT in tests) back at each invocation's start.
    jest.spyOn(logger, 'refreshSampleRateCalculation').mockImplementation(() => undefined),
  ];
  logger.setLogLevel('ERROR');
  try {
    await fn();
  } finally {
    logger.setLogLevel('SILENT');
    for (const spy of spies) spy.mockRestore();
  }
  return written
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('taskHandler', () => {
  it('gives each concurrent invocation its own tenantCode and flowId on every log line', async () => {
    const bStarted = gate();
    const bDone = gate();
    const task = taskHandler(async (input: { tenantCode: string; flowId: string }) => {
      if (input.tenantCode === 'alpha') {
        await bStarted.opened;
        await bDone.opened;
      } else {
        bStarted.open();
      }
      throw new Error(`boom in ${input.tenantCode}`);
    });

    const lines = await logLines(async () => {
      const a = task({ tenantCode: 'alpha', flowId: 'flow-a' }).catch(() => undefined);
      await task({ tenantCode: 'beta', flowId: 'flow-b' }).catch(() => undefined);
      bDone.open();
      await a;
    });

    const failures = lines.filter((l) => l.message === 'flow task failed');
    expect(failures.map((l) => [l.tenantCode, l.flowId, (l.error as { message: string }).message])).toEqual([
      ['beta', 'flow-b', 'boom in beta'],
      ['alpha', 'flow-a', 'boom in alpha'],
    ]);
  });

  it('leaves no invocation keys on the shared logger', async () => {
    const task = taskHandler((input: { tenantCode: string; flowId: string }) => Promise.resolve(input));

    await task({ tenantCode: 'gamma', flowId: 'flow-g' });

    expect(logger.getPersistentLogAttributes()).not.toHaveProperty('tenantCode');
  });
});
