import { readFileSync, unlinkSync } from 'node:fs';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join, resolve } from 'node:path';

// Node built-ins only: `npm start` takes this lock before loading anything else, so that a second start
// is refused in well under two seconds and never starts DynamoDB Local or a flow on the same state.

/** Who holds a data directory: written into its lock file. */
export interface LockHolder {
  pid: number;
  host: string;
  port: number;
  startedAt: string;
  /** DynamoDB Local's Java process, once started. */
  dynamoDbPid?: number;
}

export class InstanceInUseError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'InstanceInUseError';
  }
}

export interface InstanceLockTarget {
  dataDir: string;
  host: string;
  /** 0: any free port, nothing to reserve. */
  port: number;
}

export interface InstanceLock {
  path: string;
  /** Records more about this instance (DynamoDB Local's pid) for whoever finds the lock later. */
  update(extra: Partial<LockHolder>): Promise<void>;
  /** Frees the reserved port just before the API server listens on it. */
  releasePort(): Promise<void>;
  /** Removes the lock file (if it is still this process's) and frees the port. */
  release(): Promise<void>;
  /** The same, synchronously, for `process.on('exit')`. */
  releaseSync(): void;
}

export const LOCK_FILE = 'control-plane.lock';

/** Where `npm start` would run, read leniently: invalid values are left to the full configuration check. */
export function lockTargetFromEnv(env: NodeJS.ProcessEnv): InstanceLockTarget {
  const port = /^\d{1,5}$/.test(env.PORT ?? '') ? Number(env.PORT) : env.PORT === undefined ? 4000 : 0;
  return {
    dataDir: resolve(env.LOCAL_DATA_DIR || '.local'),
    host: env.HOST || '127.0.0.1',
    port: port <= 65535 ? port : 0,
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A DynamoDB Local left running by a control plane that was killed outright: stop it, if it is one. */
function stopLeftoverDynamoDb(pid: number | undefined): void {
  if (pid === undefined || !isAlive(pid)) return;
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return; // no /proc (macOS): its launcher exits by itself when its parent's pipe closes
  }
  if (cmdline.includes('DynamoDbLocalLoopback') || cmdline.includes('DynamoDBLocal.jar')) {
    process.kill(pid, 'SIGKILL');
  }
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockHolder;
  } catch {
    return undefined;
  }
}

async function createLockFile(path: string, holder: LockHolder): Promise<boolean> {
  try {
    await writeFile(path, `${JSON.stringify(holder)}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function reservePort(host: string, port: number): Promise<Server> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES'
          ? new InstanceInUseError(
              `port ${port} on ${host} is in use (${error.code}): stop what listens there, or set PORT`,
            )
          : error,
      ),
    );
    server.listen({ port, host, exclusive: true }, () => resolvePort(server));
  });
}

/**
 * Takes the data directory (a lock file created exclusively; a lock whose process is gone is taken
 * over) and reserves the port, or throws {@link InstanceInUseError} saying who holds which.
 */
export async function acquireInstanceLock(target: InstanceLockTarget): Promise<InstanceLock> {
  await mkdir(target.dataDir, { recursive: true });
  const path = join(target.dataDir, LOCK_FILE);
  const holder: LockHolder = {
    pid: process.pid,
    host: target.host,
    port: target.port,
    startedAt: new Date().toISOString(),
  };
  for (let attempt = 0; !(await createLockFile(path, holder)); attempt++) {
    const current = await readHolder(path);
    if (current && isAlive(current.pid) && current.pid !== process.pid) {
      throw new InstanceInUseError(
        `data directory ${target.dataDir} is in use by the local control plane with process ${current.pid} ` +
          `(started ${current.startedAt}, port ${current.port}): stop it first, or set LOCAL_DATA_DIR`,
      );
    }
    if (attempt > 0) throw new InstanceInUseError(`could not take the lock ${path}: another start is racing`);
    // Stale: its process is gone (killed outright). Stop what it left behind, then take over.
    stopLeftoverDynamoDb(current?.dynamoDbPid);
    await unlink(path).catch(() => undefined);
  }

  let ownsFile = true;
  const removeFile = () => {
    if (!ownsFile) return;
    ownsFile = false;
    try {
      const current = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
      if (current.pid === process.pid) unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
  let reserved: Server | undefined;
  try {
    reserved = target.port === 0 ? undefined : await reservePort(target.host, target.port);
  } catch (error) {
    removeFile();
    throw error;
  }
  const releasePort = () =>
    new Promise<void>((done) => {
      const server = reserved;
      reserved = undefined;
      if (!server) return done();
      server.close(() => done());
    });
  return {
    path,
    update: async (extra) => {
      Object.assign(holder, extra);
      if (ownsFile) await writeFile(path, `${JSON.stringify(holder)}\n`);
    },
    releasePort,
    release: async () => {
      await releasePort();
      removeFile();
    },
    releaseSync: () => {
      reserved?.close();
      removeFile();
    },
  };
}
