import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { request } from 'undici';

const ROOT = join(__dirname, '..', '..');

export interface LocalProcess {
  url: string;
  output: () => string;
  child: ChildProcess;
  /** Sends SIGINT (Ctrl-C) and resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

/** Starts the local control plane the way `npm start` does, as a child process, and waits for it. */
export async function startLocal(env: Record<string, string>, timeoutMs = 60_000): Promise<LocalProcess> {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'local.js')], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`local control plane did not start:\n${output}`)),
      timeoutMs,
    );
    const onData = () => {
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`local control plane exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    child,
    output: () => output,
    interrupt: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGINT');
      }),
  };
}

export async function http(
  base: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await request(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

/** Polls a tenant until its status is terminal. */
export async function waitForTerminal(base: string, code: string, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await http(base, 'GET', `/tenants/${code}`);
    const status = res.body.status as string;
    if (['ready', 'failed', 'deleted'].includes(status)) return res.body;
    if (Date.now() > deadline) throw new Error(`${code} still ${status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
