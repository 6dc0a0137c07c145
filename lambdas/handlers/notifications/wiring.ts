import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { APIGatewayProxyStructuredResultV2, LambdaFunctionURLEvent } from 'aws-lambda';
import * as z from 'zod';
import {
  lambdaDocumentClient,
  lambdaDynamoDb,
  lambdaSecretsManager,
  lambdaSfn,
} from '../../adapters/aws-clients';
import { DynamoDbTenantRepository } from '../../adapters/dynamodb/tenant-repository';
import { StepFunctionsFlowWaker } from '../../adapters/sfn/flow-waker';
import { secretsManagerTokenProvider } from '../../adapters/tfc/token';
import { systemClock, type Clock, type OpsLog } from '../../core/ports';
import { NOTIFICATION_SIGNATURE_HEADER } from '../../core/run-notification';
import { NOTIFICATION_SIGNATURE_REJECTED_METRIC } from '../../core/telemetry';
import { loadSettings } from '../../shared/config';
import { lambdaHandler } from '../../shared/middleware';
import { currentLogger, metrics, tracer, withLogContext } from '../../shared/observability';
import { RunNotifications, type NotificationAnswer } from '../../use-cases/run-notifications';
import { NOTIFICATION_RECEIVER_PATHS, NOTIFICATION_RECEIVER_VARS } from './contract';

/** What the receiver is built from; tests hand in local clients, an environment, a clock. */
export interface ReceiverWiring {
  clients?: { doc: DynamoDBDocumentClient; secretsManager: SecretsManagerClient; sfn: SFNClient };
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
}

const receiverLog: OpsLog = {
  info: (message, attributes = {}) => currentLogger().info(message, attributes),
  warn: (message, attributes = {}) => currentLogger().warn(message, attributes),
};

/**
 * Builds the receiver from its environment: the tenant table (read only: a run waiter is one GetItem), the
 * HMAC token from Secrets Manager through Powertools (cached for minutes, never logged), and Step Functions'
 * task-token callback as the waker. Each refused signature counts one NotificationSignatureRejected, which
 * an alarm watches.
 */
export function runNotificationsFromEnv(wiring: ReceiverWiring = {}): RunNotifications {
  const env = loadSettings(NOTIFICATION_RECEIVER_VARS, wiring.env);
  const clients = wiring.clients ?? sandboxClients();
  return new RunNotifications({
    repository: new DynamoDbTenantRepository(clients.doc, env.tenantTable),
    waker: new StepFunctionsFlowWaker(clients.sfn),
    token: secretsManagerTokenProvider({
      secretId: env.tokenSecret,
      provider: new SecretsProvider({ awsSdkV3Client: clients.secretsManager }),
      what: 'notification token',
    }),
    environment: env.environmentName,
    clock: wiring.clock ?? systemClock,
    log: receiverLog,
    // Flushed when the invocation ends (lambdaHandler).
    onSignatureRejected: () => metrics.addMetric(NOTIFICATION_SIGNATURE_REJECTED_METRIC, MetricUnit.Count, 1),
  });
}

/** This sandbox's clients, traced (the document client sends through the traced DynamoDB client). */
function sandboxClients(): NonNullable<ReceiverWiring['clients']> {
  const clients = { secretsManager: lambdaSecretsManager(), sfn: lambdaSfn() };
  tracer.captureAWSv3Client(lambdaDynamoDb());
  tracer.captureAWSv3Client(clients.secretsManager);
  tracer.captureAWSv3Client(clients.sfn);
  return { ...clients, doc: lambdaDocumentClient() };
}

/** A function URL's answer, always structured (status, JSON body). */
type FunctionUrlResult = APIGatewayProxyStructuredResultV2;

/** The parts of a function URL request the receiver reads (payload format 2.0; header names lower-case). */
const FunctionUrlRequestSchema = z.object({
  rawPath: z.string().default('/'),
  headers: z.record(z.string(), z.string()).default({}),
  body: z.string().optional(),
  isBase64Encoded: z.boolean().default(false),
  requestContext: z.object({ http: z.object({ method: z.string() }), requestId: z.string().optional() }),
});

function answer({ statusCode, body }: NotificationAnswer): FunctionUrlResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body };
}

function refuse(statusCode: number, code: string, message: string): FunctionUrlResult {
  return answer({ statusCode, body: JSON.stringify({ error: { code, message } }) });
}

/**
 * The function URL's handler: POST to the root or RUN_NOTIFICATION_PATH, body as raw bytes (decoded when the
 * URL delivered it base64-encoded) with the signature header, handed to the receiver unparsed: the
 * signature is checked before anything reads the body. Any other method or path is a 4xx.
 */
export function receiverHandler(receiver: Pick<RunNotifications, 'receive'>) {
  return lambdaHandler(async (event: LambdaFunctionURLEvent): Promise<FunctionUrlResult> => {
    const parsed = FunctionUrlRequestSchema.safeParse(event);
    if (!parsed.success) return refuse(400, 'BAD_REQUEST', 'not a function URL request');
    const request = parsed.data;
    const path = request.rawPath.length > 1 ? request.rawPath.replace(/\/$/, '') : request.rawPath;
    if (!NOTIFICATION_RECEIVER_PATHS.includes(path)) {
      return refuse(404, 'NOT_FOUND', `${path} is not a route`);
    }
    if (request.requestContext.http.method !== 'POST') {
      return refuse(
        405,
        'METHOD_NOT_ALLOWED',
        `${request.requestContext.http.method} ${path} is not a route`,
      );
    }
    const body = Buffer.from(request.body ?? '', request.isBase64Encoded ? 'base64' : 'utf8');
    const signature = request.headers[NOTIFICATION_SIGNATURE_HEADER];
    const context = request.requestContext.requestId ? { requestId: request.requestContext.requestId } : {};
    return withLogContext(context, async () =>
      answer(await receiver.receive({ body, ...(signature === undefined ? {} : { signature }) })),
    );
  });
}
