import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { logger, metrics, tracer } from './observability';

/**
 * A function's handler with Powertools' middleware, the one chain every function family uses: the tracer
 * captures the invocation (its result, or its error unchanged), the logger carries the invocation's Lambda
 * context and resets any key appended during it, and the metrics recorded during it are flushed when it
 * ends (once, also when it throws; an invocation that counted nothing publishes nothing).
 *
 * Powertools' class method decorators, not Middy: @middy/core 7 is ESM-only and declares Node ≥ 22, while
 * the local control plane, the bench and jest run these handlers as CommonJS on Node 20.
 *
 * Called without a context (the local control plane and the tests invoke handlers directly), the
 * invocation gets one of its own with a fresh request id, as the Lambda runtime would give it.
 */
export function lambdaHandler<E, R>(
  fn: (event: E, context: Context) => Promise<R>,
): (event: E, context?: Context) => Promise<R> {
  class Handler {
    @tracer.captureLambdaHandler()
    @metrics.logMetrics({ throwOnEmptyMetrics: false })
    @logger.injectLambdaContext({ resetKeys: true })
    public handler(event: E, context: Context): Promise<R> {
      return fn(event, context);
    }
  }
  const chain = new Handler();
  return (event, context) => chain.handler(event, context ?? localContext());
}

/** What a function invoked in-process (local mode, tests) sees of its invocation. */
function localContext(): Context {
  const unsupported = () => {
    throw new Error('in-process invocations return their result; there is no callback');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'local',
    functionVersion: '$LATEST',
    invokedFunctionArn: '',
    memoryLimitInMB: '0',
    awsRequestId: randomUUID(),
    logGroupName: '',
    logStreamName: '',
    getRemainingTimeInMillis: () => 900_000,
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}
