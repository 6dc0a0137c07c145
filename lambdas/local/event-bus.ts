import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ACTIONS, flowInput, type Action, type TenantRequestDetail } from '../core/flows';
import type { EventPublisher, ExecutionInspector, ExecutionStatus } from '../core/ports';
import { executeFlow, type FlowTasks, type LocalAwait, type LocalExecution } from './state-machine';

export interface ExecutionRecord {
  executionId: string;
  action: Action;
  detail: TenantRequestDetail;
  status: 'running' | 'succeeded' | 'failed';
  startedAt: string;
  endedAt?: string;
  error?: string;
}

/** What a journal line must hold to be replayed; anything else (a torn write, an edit) is set aside. */
const JournalRecordSchema = z.object({
  executionId: z.string().min(1),
  action: z.enum(ACTIONS),
  detail: z.looseObject({
    tenantCode: z.string(),
    flowId: z.string(),
    requestedBy: z.string(),
    requestedAt: z.string(),
  }),
  status: z.enum(['running', 'succeeded', 'failed']),
  startedAt: z.string(),
  endedAt: z.string().optional(),
  error: z.string().optional(),
});

export interface LocalBusOptions {
  /** Append-only journal of executions, replayed at start so no flow is dropped by a restart. */
  journalPath: string;
  tasks: FlowTasks;
  /** How long each Wait state lasts locally, in milliseconds. */
  waitMs: number;
  /** How long the Queued state lasts locally, in milliseconds, or `definition`. @default waitMs */
  queuedWaitMs?: number | 'definition';
  /** How the AwaitRun state waits for run notifications. @default none: flows poll */
  awaitRun?: LocalAwait;
  onExecutionEnd?: (record: ExecutionRecord, execution: LocalExecution) => void;
  onError?: (record: ExecutionRecord, error: unknown) => void;
  /** Told about journal lines that could not be read (and where they were moved). */
  warn?: (line: string) => void;
}

/**
 * The three buses and their rules, locally: publishing a request event records an execution in the
 * journal, then runs the shared flow with `flowInput(action, detail)`, the same input the CDK rules'
 * input transformers build.
 */
export class LocalBus implements EventPublisher, ExecutionInspector {
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly abort = new AbortController();

  public constructor(private readonly options: LocalBusOptions) {}

  public async publish(action: Action, detail: TenantRequestDetail): Promise<void> {
    if (this.abort.signal.aborted) throw new Error('the local control plane is shutting down');
    const record: ExecutionRecord = {
      executionId: `local:${action}:${detail.tenantCode}:${randomUUID()}`,
      action,
      detail,
      status: 'running',
      startedAt: new Date().toISOString(),
    };
    // Journal first: once publish returns, the flow survives a restart.
    await this.journal(record);
    this.start(record);
  }

  /**
   * Restarts every execution the journal shows as still running; returns how many. Lines that are not a
   * whole record (a write torn by a crash or a full disk) are moved to a quarantine file beside the
   * journal and reported, and the journal is rewritten with the last record of each execution, so one
   * bad line neither stops the start nor corrupts the next append.
   */
  public resume(): number {
    this.readJournal();
    const unfinished = [...this.executions.values()].filter(
      (r) => r.status === 'running' && !this.running.has(r.executionId),
    );
    for (const record of unfinished) this.start(record);
    return unfinished.length;
  }

  /** What the reconciler asks of Step Functions in AWS, answered from the journal. */
  public describe(executionId: string): Promise<ExecutionStatus> {
    const record = this.executions.get(executionId);
    if (!record) return Promise.resolve('UNKNOWN');
    if (record.status === 'running')
      return Promise.resolve(this.running.has(executionId) ? 'RUNNING' : 'ABORTED');
    return Promise.resolve(record.status === 'succeeded' ? 'SUCCEEDED' : 'FAILED');
  }

  /** Waits for every running execution to end (tests, benchmarks). */
  public async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all(this.running.values());
  }

  /** Stops running executions where they are; the journal keeps them for the next start. */
  public async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.running.values());
  }

  private start(record: ExecutionRecord): void {
    this.executions.set(record.executionId, record);
    const done = executeFlow(flowInput(record.action, record.detail), this.options.tasks, {
      executionId: record.executionId,
      waitMs: this.options.waitMs,
      ...(this.options.queuedWaitMs === undefined ? {} : { queuedWaitMs: this.options.queuedWaitMs }),
      ...(this.options.awaitRun ? { awaitRun: this.options.awaitRun } : {}),
      signal: this.abort.signal,
    }).then(async (execution) => {
      if (execution.status === 'aborted') return;
      const ended: ExecutionRecord = {
        ...record,
        status: execution.status,
        endedAt: new Date().toISOString(),
        ...(execution.error ? { error: execution.error } : {}),
      };
      this.executions.set(record.executionId, ended);
      await this.journal(ended);
      this.options.onExecutionEnd?.(ended, execution);
    });
    const tracked = done
      .catch((error: unknown) => this.options.onError?.(record, error))
      .finally(() => this.running.delete(record.executionId));
    this.running.set(record.executionId, tracked);
  }

  private readJournal(): void {
    const path = this.options.journalPath;
    if (!existsSync(path)) return;
    const text = readFileSync(path, 'utf8');
    const torn: string[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const record = parseRecord(line);
      if (record) this.executions.set(record.executionId, record);
      else torn.push(line);
    }
    if (torn.length === 0 && (text === '' || text.endsWith('\n'))) return;
    if (torn.length > 0) {
      const quarantine = `${path}.torn`;
      appendFileSync(quarantine, `${torn.join('\n')}\n`);
      this.options.warn?.(
        `skipped ${torn.length} unreadable line(s) of the execution journal ${path}; moved to ${quarantine}`,
      );
    }
    const tmp = `${path}.${process.pid}.tmp`;
    const lines = [...this.executions.values()].map((r) => `${JSON.stringify(r)}\n`);
    writeFileSync(tmp, lines.join(''));
    renameSync(tmp, path);
  }

  private async journal(record: ExecutionRecord): Promise<void> {
    await mkdir(dirname(this.options.journalPath), { recursive: true });
    await appendFile(this.options.journalPath, `${JSON.stringify(record)}\n`);
  }
}

function parseRecord(line: string): ExecutionRecord | undefined {
  try {
    const parsed = JournalRecordSchema.safeParse(JSON.parse(line));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
