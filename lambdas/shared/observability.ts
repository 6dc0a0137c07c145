import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

const serviceName = 'tenant-control-plane';

/** One logger, metrics and tracer per sandbox; every line carries the tenant code and flowId once known. */
export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: 'TenantControlPlane' });
export const tracer = new Tracer({ serviceName });

export interface LogContext {
  tenantCode?: string;
  flowId?: string;
}

/** Runs `fn` with the tenant code and flowId appended to every log line, removed again afterwards. */
export async function withLogContext<T>(context: LogContext, fn: () => Promise<T>): Promise<T> {
  const keys = Object.fromEntries(Object.entries(context).filter(([, v]) => v !== undefined));
  logger.appendKeys(keys);
  try {
    return await fn();
  } finally {
    logger.removeKeys(Object.keys(keys));
  }
}
