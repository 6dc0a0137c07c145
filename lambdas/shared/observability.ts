import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { METRICS_NAMESPACE, SERVICE_NAME as serviceName } from '../core/telemetry';

/** One logger, metrics and tracer per sandbox; every line carries the tenant code and flowId once known. */
export const logger = new Logger({ serviceName });
export const tracer = new Tracer({ serviceName });

/** Flushed at the end of every invocation, most of which count nothing: that is not worth a warning. */
const EMPTY_FLUSH = 'No application metrics to publish';
export const metrics = new Metrics({
  serviceName,
  namespace: METRICS_NAMESPACE,
  // Its own notices as structured log lines.
  logger: {
    debug: (message: string) => logger.debug(message),
    info: (message: string) => logger.info(message),
    warn: (message: string) =>
      message.startsWith(EMPTY_FLUSH) ? logger.debug(message) : logger.warn(message),
    error: (message: string) => logger.error(message),
  },
});

export interface LogContext {
  tenantCode?: string;
  flowId?: string;
  rolloutId?: string;
  /** API Gateway's id of the request (the one its access log and the caller's `x-amzn-RequestId` show). */
  requestId?: string;
}

const invocationLogger = new AsyncLocalStorage<Logger>();

/** The logger of the invocation in progress (with its own keys), or the sandbox's logger outside one. */
export function currentLogger(): Logger {
  return invocationLogger.getStore() ?? logger;
}

/**
 * Runs `fn` with a logger of its own that adds the tenant code and flowId to every line. A child per
 * invocation, not `logger.appendKeys` on the shared logger: invocations that overlap (the local control
 * plane runs many flows in one process) must not overwrite or remove each other's keys, and Powertools
 * scopes appended keys to an invocation only inside the Lambda runtime's own invocation store (Lambda
 * Managed Instances). The shared logger's context and key reset come from `lambdaHandler`'s middleware.
 */
export function withLogContext<T>(context: LogContext, fn: () => Promise<T>): Promise<T> {
  const keys = Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined));
  return invocationLogger.run(currentLogger().createChild({ persistentKeys: keys }), fn);
}
