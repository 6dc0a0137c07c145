import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionRecord } from '../../../lambdas/local/event-bus';
import { LocalBus } from '../../../lambdas/local/event-bus';
import type { FlowTasks } from '../../../lambdas/local/state-machine';

/** Every execution is a duplicate: the flow ends at once, without touching Terraform. */
const DUPLICATE_TASKS: FlowTasks = {
  admit: () => Promise.resolve({ duplicate: true, admitted: false, waitSeconds: 0 }),
  trigger: () =>
    Promise.resolve({ duplicate: true, outcome: 'running', waitSeconds: 0, pollsLeft: 0, awaitSeconds: 0 }),
  check: () => Promise.reject(new Error('not reached')),
  awaitRun: () => Promise.reject(new Error('not reached')),
  finalize: () => Promise.reject(new Error('not reached')),
};

function record(executionId: string, status: ExecutionRecord['status']): ExecutionRecord {
  return {
    executionId,
    action: 'create',
    detail: { tenantCode: 'acme', flowId: `flow-${executionId}`, requestedBy: 'api:test', requestedAt: 'x' },
    status,
    startedAt: '2030-01-01T00:00:00.000Z',
    ...(status === 'running' ? {} : { endedAt: '2030-01-01T00:01:00.000Z' }),
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tcp-bus-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('LocalBus journal', () => {
  it('skips a torn line, says so, quarantines it and keeps every whole record', async () => {
    const journal = join(dir, 'executions.jsonl');
    const warnings: string[] = [];
    await writeFile(
      journal,
      [
        JSON.stringify(record('e1', 'running')),
        '{"executionId":"e2","action":"create","det',
        JSON.stringify(record('e1', 'succeeded')),
        '{"not":"a record"}',
        JSON.stringify(record('e3', 'failed')),
      ].join('\n') + '\n',
    );
    const bus = new LocalBus({
      journalPath: journal,
      tasks: DUPLICATE_TASKS,
      waitMs: 1,
      warn: (line) => warnings.push(line),
    });

    expect(bus.resume()).toBe(0);

    await expect(bus.describe('e1')).resolves.toBe('SUCCEEDED');
    await expect(bus.describe('e3')).resolves.toBe('FAILED');
    expect(warnings).toEqual([expect.stringContaining('skipped 2 unreadable line(s)')]);
    expect(readFileSync(`${journal}.torn`, 'utf8')).toContain('"det');
    const kept = readFileSync(journal, 'utf8').trim().split('\n');
    expect(kept.map((l) => (JSON.parse(l) as ExecutionRecord).executionId)).toEqual(['e1', 'e3']);
  });

  it('a torn last line (no newline) does not swallow the next record appended', async () => {
    const journal = join(dir, 'executions.jsonl');
    await writeFile(journal, `${JSON.stringify(record('e1', 'succeeded'))}\n{"executionId":"e2","sta`);
    const bus = new LocalBus({ journalPath: journal, tasks: DUPLICATE_TASKS, waitMs: 1 });

    bus.resume();
    await bus.publish('create', {
      tenantCode: 'beta',
      flowId: 'f-beta',
      requestedBy: 'api:test',
      requestedAt: '2030-01-01T00:00:00.000Z',
    });
    await bus.drain();

    const warnings: string[] = [];
    const again = new LocalBus({
      journalPath: journal,
      tasks: DUPLICATE_TASKS,
      waitMs: 1,
      warn: (line) => warnings.push(line),
    });
    expect(again.resume()).toBe(0);
    const records = readFileSync(journal, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ExecutionRecord);
    expect(records.map((r) => `${r.detail.tenantCode} ${r.status}`)).toEqual([
      'acme succeeded',
      'beta running',
      'beta succeeded',
    ]);
    expect(warnings).toEqual([]);
  });

  it('leaves a clean journal as it is', async () => {
    const journal = join(dir, 'executions.jsonl');
    const text = `${JSON.stringify(record('e1', 'succeeded'))}\n`;
    await writeFile(journal, text);

    new LocalBus({ journalPath: journal, tasks: DUPLICATE_TASKS, waitMs: 1 }).resume();

    expect(readFileSync(journal, 'utf8')).toBe(text);
    expect(existsSync(`${journal}.torn`)).toBe(false);
  });
});
