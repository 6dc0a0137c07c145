import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline/promises';
import { setTimeout as delay } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { TenantView } from '../core/tenant';
import type { TenantCode } from '../core/tenant-code';
import {
  defaultDispatcher,
  TenantApiClient,
  type HistoryPage,
  type RetryOptions,
  type TenantPage,
} from './api-client';
import { parseCommandLine, type Command, type GlobalOptions, type WaitOptions } from './args';
import { completionScript } from './completion';
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
  progressOutput,
  lastErrorText,
  renderApiError,
  renderConnectionError,
  renderCredentialsError,
  renderFleet,
  renderHistory,
  renderList,
  renderTenant,
  toJson,
} from './render';
import { executeRollout } from './rollout-commands';
import { nodeProviderChain, sigV4Signer, unsigned, type CredentialsProvider } from './sigv4';
import { resolveTarget, type Env } from './target';
import { cliVersion, usage } from './usage';
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
  /** The width of that terminal now, when known, so a redrawn line does not wrap. */
  columns?: () => number | undefined;
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

const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms) => delay(ms),
  every: (ms, tick) => {
    const timer = setInterval(tick, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

/** What a command handler needs: the client, where to write, and how to tell time. */
export interface Session {
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
    if (command.kind === 'version') {
      io.stdout.write(`tenantctl ${cliVersion()}\n`);
      return EXIT_CODES.ok;
    }
    if (command.kind === 'completion') {
      io.stdout.write(completionScript(command.shell));
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

type RemoteCommand = Exclude<Command, { kind: 'help' | 'version' | 'completion' }>;

function execute(command: RemoteCommand, session: Session): Promise<number> {
  switch (command.kind) {
    case 'get':
      if (command.wait) return follow(session, command.tenantCode, command.wait);
      return session.client.get(command.tenantCode).then((t) => show(session, t));
    case 'wait':
      return follow(session, command.tenantCode, command.wait);
    case 'list':
      return list(command, session);
    case 'history':
      return history(command, session);
    case 'fleet':
      return session.client.fleet().then((fleet) => {
        session.io.stdout.write(session.json ? toJson(fleet) : renderFleet(fleet));
        return EXIT_CODES.ok;
      });
    case 'logs':
      return logs(command, session);
    case 'ops':
      return session.client.ops(command.name, command.dryRun).then((summary) => {
        session.io.stdout.write(toJson(summary));
        return EXIT_CODES.ok;
      });
    case 'create':
      return write(session, command, () =>
        session.client.create({ tenantCode: command.tenantCode, ...command.body }),
      );
    case 'update':
      return write(session, command, () => session.client.update(command.tenantCode, command.changes));
    case 'delete':
      return confirmDelete(command, session).then(() => deleteTenant(command, session));
    case 'rollout-start':
    case 'rollout-status':
    case 'rollout-list':
    case 'rollout-action':
      return executeRollout(command, session);
  }
}

/** `wait` and `get --wait`: follows a tenant that is already on its way, e.g. after a lost `--wait`. */
async function follow(session: Session, code: TenantCode, wait: WaitOptions): Promise<number> {
  const startedAt = session.clock.now();
  const first = await session.client.get(code);
  return followFrom(session, code, first, wait, startedAt);
}

/** Deleting a tenant that is already deleted is done, not an error: says so and exits 0. */
async function deleteTenant(
  command: Extract<Command, { kind: 'delete' }>,
  session: Session,
): Promise<number> {
  try {
    return await write(session, command, () => session.client.delete(command.tenantCode));
  } catch (error) {
    if (!isAlreadyDeleted(error)) throw error;
    const tenant = await session.client.get(command.tenantCode);
    show(session, tenant);
    session.io.stderr.write(`${command.tenantCode} is already deleted: nothing to do\n`);
    return EXIT_CODES.ok;
  }
}

function isAlreadyDeleted(error: unknown): boolean {
  if (!(error instanceof ApiAnswerError) || error.status !== 409) return false;
  const details = error.details as { currentStatus?: unknown } | undefined;
  return details?.currentStatus === 'deleted';
}

async function history(command: Extract<Command, { kind: 'history' }>, session: Session): Promise<number> {
  const query = { limit: command.limit, nextToken: command.nextToken };
  let page = await session.client.history(command.tenantCode, query);
  const items = [...page.items];
  while (command.all && page.nextToken) {
    const previous = page.nextToken;
    page = await session.client.history(command.tenantCode, { ...query, nextToken: previous });
    items.push(...page.items);
    if (page.nextToken === previous) break;
  }
  const result: HistoryPage = {
    items,
    ...(page.nextToken && !command.all ? { nextToken: page.nextToken } : {}),
  };
  session.io.stdout.write(session.json ? toJson(result) : renderHistory(result));
  return EXIT_CODES.ok;
}

async function logs(command: Extract<Command, { kind: 'logs' }>, session: Session): Promise<number> {
  let runId = command.runId;
  if (runId === undefined) {
    const tenant = await session.client.get(command.tenantCode);
    if (!tenant.run) {
      session.io.stderr.write(`error: ${command.tenantCode} has no run recorded; pass --run ID\n`);
      return EXIT_CODES.api;
    }
    runId = tenant.run.id;
  }
  const text = await session.client.runLog(command.tenantCode, runId);
  session.io.stdout.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
  return EXIT_CODES.ok;
}

function show(session: Session, tenant: TenantView): number {
  session.io.stdout.write(session.json ? toJson(tenant) : renderTenant(tenant));
  return EXIT_CODES.ok;
}

async function list(command: Extract<Command, { kind: 'list' }>, session: Session): Promise<number> {
  const { status, moduleVersion, limit, all } = command;
  let page = await session.client.list({ status, moduleVersion, limit, nextToken: command.nextToken });
  const items = [...page.items];
  while (all && page.nextToken) {
    const previous = page.nextToken;
    page = await session.client.list({ status, moduleVersion, limit, nextToken: previous });
    items.push(...page.items);
    if (page.nextToken === previous) break;
  }
  // Deleted tenants keep their row; they are history, not inventory, unless asked for.
  const shown =
    status === 'deleted' || command.includeDeleted ? items : items.filter((t) => t.status !== 'deleted');
  shown.sort((a, b) => (a.tenantCode < b.tenantCode ? -1 : a.tenantCode > b.tenantCode ? 1 : 0));
  const result: TenantPage = {
    items: shown,
    ...(page.nextToken && !all ? { nextToken: page.nextToken } : {}),
  };
  session.io.stdout.write(session.json ? toJson(result) : renderList(result));
  const hidden = items.length - shown.length;
  if (hidden > 0 && !session.json) {
    session.io.stderr.write(`(${hidden} deleted tenant(s) not shown: add --include-deleted)\n`);
  }
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
  return followFrom(session, command.tenantCode, accepted, command.wait, startedAt);
}

async function followFrom(
  session: Session,
  code: TenantCode,
  first: TenantView,
  wait: WaitOptions,
  startedAt: number,
): Promise<number> {
  const { outcome, tenant } = await waitForTerminal({
    ...wait,
    first,
    poll: () => session.client.get(code),
    clock: session.clock,
    startedAt,
    progress: createProgress(progressOutput(session, startedAt)),
  });
  show(session, tenant);
  return outcomeCode(session, outcome, tenant, wait.timeoutMs);
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
