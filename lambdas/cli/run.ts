import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { TenantView } from '../core/tenant';
import { defaultDispatcher, TenantApiClient, type RetryOptions, type TenantPage } from './api-client';
import { parseCommandLine, type Command, type GlobalOptions } from './args';
import {
  AbortedError,
  ApiAnswerError,
  CliError,
  ConnectionError,
  CredentialsError,
  EXIT_CODES,
  UsageError,
} from './errors';
import {
  createProgress,
  lastErrorText,
  renderApiError,
  renderConnectionError,
  renderCredentialsError,
  renderList,
  renderTenant,
} from './render';
import { nodeProviderChain, sigV4Signer, unsigned, type CredentialsProvider } from './sigv4';
import { resolveTarget, type Env } from './target';
import { usage } from './usage';
import { waitForTerminal, type Clock } from './wait';

export interface TextSink {
  write(text: string): unknown;
}

/** The process's side of the CLI, injected so tests run it without spawning. */
export interface CliIo {
  stdout: TextSink;
  /** Progress, hints and errors: stdout carries only the result (pure JSON with `--json`). */
  stderr: TextSink;
  /** Whether stderr is a terminal: progress is then one line redrawn in place. */
  isTTY: boolean;
  /** Whether stdin is a terminal, so `delete` may ask for confirmation. @default isTTY */
  stdinIsTTY?: boolean;
  env: Env;
}

/** Everything with an effect outside the process, replaceable in tests. */
export interface CliDeps {
  /** @default a keep-alive undici Agent, closed when the command ends */
  dispatcher?: Dispatcher;
  /** Used for signed endpoints only. @default the standard AWS provider chain */
  credentials?: CredentialsProvider;
  /** @default the wall clock and a real sleep */
  clock?: Clock;
  /** One per invocation, sent with the write. @default a random UUID */
  newIdempotencyKey?: () => string;
  /** Asks a question on the terminal and returns the answer. @default readline on stdin/stderr */
  prompt?: (question: string) => Promise<string>;
  retry?: RetryOptions;
}

const SYSTEM_CLOCK: Clock = { now: () => Date.now(), sleep: (ms) => delay(ms) };

/** What a command handler needs: the client, where to write, and how to tell time. */
interface Session {
  client: TenantApiClient;
  io: CliIo;
  json: boolean;
  clock: Clock;
  prompt: (question: string) => Promise<string>;
}

/**
 * Runs one `tenantctl` command line and returns its exit code (see {@link EXIT_CODES}). Only a bug
 * rejects: every expected failure is reported on stderr and mapped to its code.
 */
export async function runCli(argv: readonly string[], io: CliIo, deps: CliDeps = {}): Promise<number> {
  try {
    const { command, global } = parseCommandLine(argv);
    if (command.kind === 'help') {
      io.stdout.write(usage(command.topic));
      return EXIT_CODES.ok;
    }
    return await withSession(global, io, deps, (session) => execute(command, session));
  } catch (error) {
    if (error instanceof CliError) return report(error, io);
    throw error;
  }
}

async function withSession<T>(
  global: GlobalOptions,
  io: CliIo,
  deps: CliDeps,
  use: (session: Session) => Promise<T>,
): Promise<T> {
  const target = resolveTarget(global, io.env);
  const clock = deps.clock ?? SYSTEM_CLOCK;
  const dispatcher = deps.dispatcher ?? defaultDispatcher();
  const client = new TenantApiClient({
    target,
    dispatcher,
    signer: target.signing
      ? sigV4Signer(target.signing.region, deps.credentials ?? nodeProviderChain())
      : unsigned,
    idempotencyKey: (deps.newIdempotencyKey ?? randomUUID)(),
    sleep: (ms) => clock.sleep(ms),
    ...(deps.retry ? { retry: deps.retry } : {}),
  });
  try {
    return await use({ client, io, json: global.json, clock, prompt: deps.prompt ?? terminalPrompt });
  } finally {
    if (dispatcher !== deps.dispatcher) await dispatcher.close();
  }
}

/** Ctrl+C or Ctrl+D at the question count as "no". */
async function terminalPrompt(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } catch {
    process.stderr.write('\n');
    return '';
  } finally {
    rl.close();
  }
}

function execute(command: Exclude<Command, { kind: 'help' }>, session: Session): Promise<number> {
  switch (command.kind) {
    case 'get':
      return session.client.get(command.tenantCode).then((t) => show(session, t));
    case 'list':
      return list(command, session);
    case 'create':
      return write(session, command, () =>
        session.client.create({ tenantCode: command.tenantCode, ...command.body }),
      );
    case 'update':
      return write(session, command, () => session.client.update(command.tenantCode, command.changes));
    case 'delete':
      return confirmDelete(command, session).then(() =>
        write(session, command, () => session.client.delete(command.tenantCode)),
      );
  }
}

function show(session: Session, tenant: TenantView): number {
  session.io.stdout.write(session.json ? toJson(tenant) : renderTenant(tenant));
  return EXIT_CODES.ok;
}

function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

async function list(command: Extract<Command, { kind: 'list' }>, session: Session): Promise<number> {
  const { status, limit, all } = command;
  let page = await session.client.list({ status, limit, nextToken: command.nextToken });
  const items = [...page.items];
  while (all && page.nextToken) {
    const previous = page.nextToken;
    page = await session.client.list({ status, limit, nextToken: previous });
    items.push(...page.items);
    if (page.nextToken === previous) break;
  }
  const result: TenantPage = { items, ...(page.nextToken && !all ? { nextToken: page.nextToken } : {}) };
  session.io.stdout.write(session.json ? toJson(result) : renderList(result));
  return EXIT_CODES.ok;
}

async function confirmDelete(command: Extract<Command, { kind: 'delete' }>, session: Session): Promise<void> {
  if (command.yes) return;
  const code = command.tenantCode;
  if (!(session.io.stdinIsTTY ?? session.io.isTTY)) {
    throw new UsageError(
      `refusing to delete '${code}' without --yes: there is no terminal to confirm on`,
      'delete',
    );
  }
  const answer = await session.prompt(`Delete tenant '${code}' and destroy its infrastructure? [y/N] `);
  if (!/^y(es)?$/i.test(answer.trim())) throw new AbortedError(`aborted: '${code}' was not deleted`);
}

/** Sends a write, then either shows what it started or, with `--wait`, follows it to the end. */
async function write(
  session: Session,
  command: Extract<Command, { kind: 'create' | 'update' | 'delete' }>,
  send: () => Promise<TenantView>,
): Promise<number> {
  const startedAt = session.clock.now();
  const accepted = await send();
  if (!command.wait) {
    show(session, accepted);
    if (!session.json) {
      const code = accepted.tenantCode;
      session.io.stderr.write(
        `${code} is ${accepted.status}: follow it with \`tenantctl get ${code}\` or --wait\n`,
      );
    }
    return EXIT_CODES.ok;
  }
  const { outcome, tenant } = await waitForTerminal({
    ...command.wait,
    first: accepted,
    poll: () => session.client.get(command.tenantCode),
    clock: session.clock,
    startedAt,
    progress: createProgress({
      write: (text) => session.io.stderr.write(text),
      now: () => session.clock.now(),
      startedAt,
      isTTY: session.io.isTTY,
    }),
  });
  show(session, tenant);
  return outcomeCode(session, outcome, tenant, command.wait.timeoutMs);
}

function outcomeCode(
  session: Session,
  outcome: 'settled' | 'timeout',
  tenant: TenantView,
  timeoutMs: number,
) {
  const { stderr } = session.io;
  if (outcome === 'timeout') {
    stderr.write(
      `error: gave up after ${timeoutMs / 1000}s: ${tenant.tenantCode} is still ${tenant.status} ` +
        `(the flow goes on; check again with \`tenantctl get ${tenant.tenantCode}\`)\n`,
    );
    return EXIT_CODES.timeout;
  }
  if (tenant.status === 'failed') {
    const reason = tenant.lastError ? lastErrorText(tenant.lastError) : 'no error recorded';
    stderr.write(`error: ${tenant.tenantCode} failed: ${reason}\n`);
    return EXIT_CODES.tenantFailed;
  }
  return EXIT_CODES.ok;
}

function report(error: CliError, io: CliIo): number {
  io.stderr.write(describe(error));
  return error.exitCode;
}

function describe(error: CliError): string {
  if (error instanceof UsageError) {
    const help = error.command ? `tenantctl ${error.command} --help` : 'tenantctl --help';
    return `error: ${error.message}\nRun \`${help}\` for usage.\n`;
  }
  if (error instanceof ApiAnswerError) return renderApiError(error);
  if (error instanceof ConnectionError) return renderConnectionError(error);
  if (error instanceof CredentialsError) return renderCredentialsError(error);
  return `error: ${error.message}\n`;
}
