import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { METRICS_NAMESPACE, SERVICE_NAME as serviceName } from '../core/telemetry';

/** One logger, metrics and tracer per sandbox; every line carries the tenant code and flowId once known. */
export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: METRICS_NAMESPACE });
export const tracer = new Tracer({ serviceName });

export interface LogContext {
  tenantCode?: string;
  flowId?: string;
  rolloutId?: string;
}

const invocationLogger = new AsyncLocalStorage<Logger>();

/** The logger of the invocation in progress (with its own keys), or the sandbox's logger outside one. */
export function currentLogger(): Logger {
  return invocationLogger.getStore() ?? logger;
}

/**
 * Runs `fn` with a logger of its own that adds the tenant code and flowId to every line. A child per
 * invocation, not keys on the shared logger: invocations that overlap (the local control plane runs
 * many flows in one process) must not overwrite or remove each other's keys.
 */
export function withLogContext<T>(context: LogContext, fn: () => Promise<T>): Promise<T> {
  const keys = Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined));
  return invocationLogger.run(currentLogger().createChild({ persistentKeys: keys }), fn);
}
