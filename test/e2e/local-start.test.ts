import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, startLocal, type LocalProcess } from '../support/local-process';

const ROOT = join(__dirname, '..', '..');

/** Processes (any depth) whose environment carries this marker: what a start left running. */
function processesMarked(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').includes(`TCP_TEST_MARKER=${marker}`)) {
        pids.push(Number(entry));
      }
    } catch {
      // Gone meanwhile, or not ours.
    }
  }
  return pids;
}

async function noneLeft(marker: string, withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = processesMarked(marker);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs the command `npm start` runs and resolves with how it ended and how long it took. */
function startExpectingRefusal(env: Record<string, string>) {
  const marker = randomUUID();
  const started = Date.now();
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'local.js')], {
    cwd: ROOT,
    env: { ...process.env, TCP_TEST_MARKER: marker, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise<{ code: number | null; ms: number; output: string; marker: string }>((resolve) =>
    child.once('exit', (code) => resolve({ code, ms: Date.now() - started, output, marker })),
  );
}

let dataDir: string;
let first: LocalProcess;
let port: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tcp-e2e-lock-'));
  first = await startLocal({ LOCAL_DATA_DIR: dataDir });
  port = new URL(first.url).port;
});
afterAll(async () => {
  await first?.interrupt();
  await rm(dataDir, { recursive: true, force: true });
});

describe('a second npm start', () => {
  it('on the same data directory exits non-zero within 2 s, leaving no process behind', async () => {
    const second = await startExpectingRefusal({ LOCAL_DATA_DIR: dataDir, PORT: '0' });

    expect(second.code).not.toBe(0);
    expect(second.ms).toBeLessThan(2000);
    expect(second.output).toContain(`data directory ${dataDir} is in use`);
    expect(await noneLeft(second.marker, 1000)).toEqual([]);
    expect((await http(first.url, 'GET', '/healthz')).status).toBe(200);
  });

  it('on the same port exits non-zero within 2 s, leaving no process behind', async () => {
    const otherDir = await mkdtemp(join(tmpdir(), 'tcp-e2e-lock-other-'));
    try {
      const second = await startExpectingRefusal({ LOCAL_DATA_DIR: otherDir, PORT: port });

      expect(second.code).not.toBe(0);
      expect(second.ms).toBeLessThan(2000);
      expect(second.output).toContain(`port ${port} on 127.0.0.1 is in use`);
      expect(await noneLeft(second.marker, 1000)).toEqual([]);
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});

describe('npm start under a process manager', () => {
  it('SIGTERM to npm stops node and DynamoDB Local cleanly; the data directory can be used again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tcp-e2e-npm-'));
    const marker = randomUUID();
    try {
      const npm = spawn('npm', ['start', '--silent'], {
        cwd: ROOT,
        env: { ...process.env, TCP_TEST_MARKER: marker, LOCAL_DATA_DIR: dir, PORT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      npm.stdout.on('data', (c: Buffer) => (output += c.toString()));
      npm.stderr.on('data', (c: Buffer) => (output += c.toString()));
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`npm start did not start:\n${output}`)), 150_000);
        npm.stdout.on('data', () => {
          const match = /listening on (http:\/\/\S+)/.exec(output);
          if (match?.[1]) {
            clearTimeout(timer);
            resolve(match[1]);
          }
        });
      });
      expect((await http(url, 'GET', '/healthz')).status).toBe(200);
      expect(processesMarked(marker).length).toBeGreaterThanOrEqual(3); // npm, node, java (and sh)

      npm.kill('SIGTERM');

      expect(await noneLeft(marker, 15_000)).toEqual([]);
      const again = await startLocal({ LOCAL_DATA_DIR: dir });
      expect(await again.interrupt()).toBe(0);
    } finally {
      for (const pid of processesMarked(marker)) process.kill(pid, 'SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
