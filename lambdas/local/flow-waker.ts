import { randomBytes } from 'node:crypto';
import type { RunEnd } from '../core/flow-state';
import type { FlowWaker } from '../core/ports';

/** A wait the local engine opened for one flow: its token, and the run's end once something wakes it. */
export interface LocalWait {
  token: string;
  woken: Promise<RunEnd>;
  /** Forgets the token (the wait timed out or the execution stopped): a later wake finds nothing. */
  close(): void;
}

/**
 * Step Functions' task-token callback, emulated for the local engine (aws-local-stepfunctions has none):
 * the waiting state opens a wait and stores its token; the receiver's wake resolves it, once.
 */
export class LocalFlowWaker implements FlowWaker {
  private readonly waiting = new Map<string, (end: RunEnd) => void>();

  public open(): LocalWait {
    const token = `local-${randomBytes(24).toString('base64url')}`;
    let resolve!: (end: RunEnd) => void;
    const woken = new Promise<RunEnd>((r) => (resolve = r));
    this.waiting.set(token, resolve);
    return { token, woken, close: () => this.waiting.delete(token) };
  }

  public wake(taskToken: string, end: RunEnd): Promise<boolean> {
    const resolve = this.waiting.get(taskToken);
    if (!resolve) return Promise.resolve(false);
    this.waiting.delete(taskToken);
    resolve(end);
    return Promise.resolve(true);
  }
}
