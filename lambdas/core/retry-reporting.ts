import { AsyncLocalStorage } from 'node:async_hooks';

/** One failed attempt of a request to an outside service (TFC) that is about to be tried again. */
export interface RetryNotice {
  /** What failed, for a person: `connection refused (ECONNREFUSED) at app.terraform.io`. Never a secret. */
  reason: string;
  /** The attempt that just failed, counting from 1. */
  attempt: number;
  /** Attempts the request may make; at `attempt === maxAttempts` it gives up and the flow retries its step. */
  maxAttempts: number;
}

/** Receives the retries of the calls made inside {@link observeRetries}; its failures are the caller's to absorb. */
export type RetryListener = (notice: RetryNotice) => Promise<void>;

const listeners = new AsyncLocalStorage<RetryListener>();

/**
 * Runs `fn` with `listener` told of every retry a transport makes inside it, however deep the call. A
 * context, not a parameter: the TFC client is built once per process and shared by flows that run at
 * the same time (the local control plane), so each flow's calls must reach that flow's listener.
 */
export function observeRetries<T>(listener: RetryListener, fn: () => Promise<T>): Promise<T> {
  return listeners.run(listener, fn);
}

/** Tells the listener of the calls in progress (if any) about a retry; resolves once it has recorded it. */
export function reportRetry(notice: RetryNotice): Promise<void> {
  return listeners.getStore()?.(notice) ?? Promise.resolve();
}
