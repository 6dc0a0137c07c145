import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import type * as Port from '../core/ports';
import { TENANT_CODE_PATTERN, type TenantCode } from '../core/tenant-code';
import { tenantInputs, workspaceName } from '../core/workspace';
import { moduleVersion } from '../core/module-version';
import {
  NOTIFICATION_SIGNATURE_HEADER,
  runNotificationPayload,
  signNotification,
} from '../core/run-notification';
import { buildModuleArchive } from '../adapters/tfc/module-archive';

/** Marks a working directory as created by the control plane; nothing without it is ever deleted. */
const MARKER = '.tenant-control-plane.json';
const TERMINAL = new Set(['applied', 'errored']);
const RUN_ID = /^run-[0-9a-f]{16}$/;

export interface LocalRun {
  id: string;
  flowId: string;
  destroy: boolean;
  status: 'pending' | 'planning' | 'applying' | 'applied' | 'errored';
  reason?: string;
  createdAt: string;
  finishedAt?: string;
}

/** The notification configuration id local runs carry (there is no TFC configuration behind them). */
export const LOCAL_NOTIFICATION_CONFIGURATION_ID = 'nc-local';

/** The organization name local runs' notifications carry. */
export const LOCAL_ORGANIZATION = 'local';

/**
 * Run notifications of local runs: at the end of each run the runner POSTs what Terraform Cloud would, a
 * signed generic notification, so the receiver and the flow's wait behave as they do with TFC.
 */
export interface LocalRunNotifications {
  /** Where to POST; undefined while not known yet (the local server's own route, once it listens). */
  url: () => string | undefined;
  /** The HMAC token the body is signed with (never logged). */
  token: string;
  /**
   * The run's page, as `run_url`.
   * @default - none (an empty string)
   */
  runUrl?: (tenantCode: string, runId: string) => string;
  /**
   * How long the receiver may take to answer (TFC waits 10 s).
   * @default 10_000
   */
  timeoutMs?: number;
}

export interface LocalTerraformOptions {
  /** Where each tenant's working directory, state and run records live. */
  dataDir: string;
  /** The module applied for every tenant. */
  moduleDir: string;
  environment: string;
  /**
   * Where each run's full output is kept (`<logDir>/<tenant code>/<run id>.log`), outside the workspaces
   * so it outlives a deleted tenant.
   * @default `<dataDir>/../run-logs`
   */
  logDir?: string;
  /** Label in front of the module's content hash in its version (`<label>+<hash>`). */
  moduleVersionLabel?: string;
  /** @default 'terraform' from the PATH */
  terraformBinary?: string;
  /** Receives one line per run status change. */
  log?: (message: string, attributes: Record<string, unknown>) => void;
  /**
   * Notify the end of each run as TFC does.
   * @default - no notifications: the flow learns of a run's end by polling
   */
  notifications?: LocalRunNotifications;
  /** Receives a line when a run notification could not be delivered (it never fails the run). */
  warn?: (line: string) => void;
}

/**
 * Runs Terraform with the local CLI, behind the same interface as Terraform Cloud: each tenant gets a
 * working directory (its "workspace") with local state; a run is `terraform init` + `apply` (or
 * `apply -destroy`) in the background, recorded on disk so the flow can poll it and a restart can resume
 * it.
 */
export class LocalTerraformBackend implements Port.TerraformBackend {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly children = new Set<ChildProcess>();
  private stopping = false;

  public constructor(private readonly options: LocalTerraformOptions) {}

  private workspaceDir(workspaceId: string): string {
    return join(this.options.dataDir, workspaceId);
  }

  private runPath(workspaceId: string, runId: string): string {
    return join(this.workspaceDir(workspaceId), 'runs', `${runId}.json`);
  }

  private logPath(tenantCode: string, runId: string): string {
    return join(
      this.options.logDir ?? join(this.options.dataDir, '..', 'run-logs'),
      tenantCode,
      `${runId}.log`,
    );
  }

  /** The full output of a run (every Terraform command it ran), or undefined for an unknown run. */
  public async runLog(tenantCode: string, runId: string): Promise<string | undefined> {
    // Both become path segments: only the shapes this runner makes are looked up.
    if (!TENANT_CODE_PATTERN.test(tenantCode) || !RUN_ID.test(runId)) return undefined;
    return readFile(this.logPath(tenantCode, runId), 'utf8').catch(() => undefined);
  }

  /** Local runs are records on disk, so finding this flow's run again costs nothing: always look. */
  public async startRun(request: Port.StartRunRequest): Promise<Port.StartedRun> {
    const { tenant, flowId, destroy } = request;
    // Named like the tenant's Terraform Cloud workspace; the directory name is its id.
    const workspaceId = workspaceName(this.options.environment, tenant.tenantCode);
    const dir = this.workspaceDir(workspaceId);
    // The same kind of module version as in Terraform Cloud: the content hash of the module directory.
    const { contentHash } = await buildModuleArchive(this.options.moduleDir);
    const version = moduleVersion(contentHash, this.options.moduleVersionLabel);
    const existing = (await this.runs(workspaceId)).find((r) => r.flowId === flowId);
    if (existing) return { workspaceId, runId: existing.id, status: existing.status, moduleVersion: version };
    if (destroy && !existsSync(join(dir, 'terraform.tfstate'))) {
      // Nothing was ever applied: there is nothing to destroy.
      return existsSync(dir) ? { workspaceId } : {};
    }
    await mkdir(join(dir, 'runs'), { recursive: true });
    await writeFile(
      join(dir, MARKER),
      JSON.stringify({ managedBy: 'tenant-control-plane', tenantCode: tenant.tenantCode }),
    );
    await writeJson(join(dir, 'tenant.auto.tfvars.json'), tenantInputs(tenant, this.options.environment));
    const run: LocalRun = {
      id: `run-${randomBytes(8).toString('hex')}`,
      flowId,
      destroy,
      status: 'pending',
      createdAt: new Date().toISOString(),
    };
    await writeJson(this.runPath(workspaceId, run.id), run);
    this.enqueue(workspaceId, run);
    // Its end is POSTed to the receiver route once the server listens (notifyEnd).
    const notified = this.options.notifications?.url() !== undefined;
    return { workspaceId, runId: run.id, status: run.status, moduleVersion: version, notified };
  }

  public async getRun(run: Port.RunLocator): Promise<Port.RunState> {
    if (!run.workspaceId) throw new Error(`run ${run.runId} has no workspace`);
    const record = await readJson<LocalRun>(this.runPath(run.workspaceId, run.runId));
    return { id: record.id, status: record.status, ...(record.reason ? { reason: record.reason } : {}) };
  }

  /** Local runs never wait for a person; there is never anything to discard. */
  public async discardRun(_run: Port.RunLocator & { comment: string }): Promise<void> {
    await Promise.resolve();
  }

  public async getOutputs(workspaceId: string): Promise<Port.TerraformOutputs> {
    const { stdout } = await this.terraform(this.workspaceDir(workspaceId), ['output', '-json', '-no-color']);
    const parsed = JSON.parse(stdout || '{}') as Record<string, { sensitive: boolean; value: unknown }>;
    const values: Record<string, unknown> = {};
    const sensitive: string[] = [];
    for (const [name, output] of Object.entries(parsed)) {
      if (output.sensitive) sensitive.push(name);
      else values[name] = output.value;
    }
    return { values, sensitive };
  }

  public async deleteWorkspace(workspaceId: string, tenantCode: TenantCode): Promise<void> {
    const dir = this.workspaceDir(workspaceId);
    if (!existsSync(dir)) return;
    type Marker = { managedBy?: string; tenantCode?: string };
    const marker = await readJson<Marker>(join(dir, MARKER)).catch((): Marker => ({}));
    if (marker.managedBy !== 'tenant-control-plane' || marker.tenantCode !== tenantCode) {
      throw new Error(
        `refusing to delete ${dir}: it is not a workspace this control plane manages for '${tenantCode}'`,
      );
    }
    await rm(dir, { recursive: true, force: true });
  }

  /** Restarts every run a previous process left unfinished (same run id, so the flow keeps polling it). */
  public async resume(): Promise<number> {
    if (!existsSync(this.options.dataDir)) return 0;
    let resumed = 0;
    for (const workspaceId of await readdir(this.options.dataDir)) {
      for (const run of await this.runs(workspaceId)) {
        if (TERMINAL.has(run.status)) continue;
        this.enqueue(workspaceId, run);
        resumed++;
      }
    }
    return resumed;
  }

  /** Interrupts running Terraform processes gracefully (SIGINT lets Terraform save its state). */
  public async stop(): Promise<void> {
    this.stopping = true;
    const exits = [...this.children].map(
      (child) =>
        new Promise<void>((resolve) =>
          child.exitCode !== null ? resolve() : child.once('exit', () => resolve()),
        ),
    );
    for (const child of this.children) child.kill('SIGINT');
    await Promise.all(exits);
  }

  private async runs(workspaceId: string): Promise<LocalRun[]> {
    const dir = join(this.workspaceDir(workspaceId), 'runs');
    if (!existsSync(dir)) return [];
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
    return Promise.all(files.map((f) => readJson<LocalRun>(join(dir, f))));
  }

  /** One run at a time per workspace, as in Terraform Cloud. */
  private enqueue(workspaceId: string, run: LocalRun): void {
    const previous = this.queues.get(workspaceId) ?? Promise.resolve();
    const next = previous.then(() => this.execute(workspaceId, run)).catch(() => undefined);
    this.queues.set(workspaceId, next);
  }

  private async execute(workspaceId: string, run: LocalRun): Promise<void> {
    if (this.stopping) return;
    const dir = this.workspaceDir(workspaceId);
    type Marker = { tenantCode?: string };
    const marker: Marker = await readJson<Marker>(join(dir, MARKER)).catch((): Marker => ({}));
    const log = this.logPath(marker.tenantCode ?? workspaceId, run.id);
    await mkdir(join(log, '..'), { recursive: true });
    const update = async (patch: Partial<LocalRun>) => {
      Object.assign(run, patch);
      await writeJson(this.runPath(workspaceId, run.id), run);
      this.options.log?.('terraform run', { workspaceId, runId: run.id, status: run.status });
    };
    try {
      await this.copyModule(dir);
      await update({ status: 'planning' });
      await this.terraform(dir, ['init', '-input=false', '-no-color'], log);
      await update({ status: 'applying' });
      await this.terraform(
        dir,
        ['apply', '-auto-approve', '-input=false', '-no-color', ...(run.destroy ? ['-destroy'] : [])],
        log,
      );
      await update({ status: 'applied', finishedAt: new Date().toISOString() });
    } catch (error) {
      // Interrupted by a shutdown: leave the run unfinished so the next start resumes it.
      if (this.stopping) return;
      const reason = error instanceof Error ? error.message : String(error);
      await update({ status: 'errored', reason, finishedAt: new Date().toISOString() });
    }
    await this.notifyEnd(workspaceId, marker.tenantCode ?? workspaceId, run);
  }

  /**
   * POSTs the run's end as a Terraform Cloud generic notification (payload version 1, the `run:completed`
   * or `run:errored` trigger, X-TFE-Notification-Signature: hex HMAC-SHA512 of the body; source:
   * hashicorp/terraform-docs-common, website/docs/cloud-docs/api-docs/notification-configurations.mdx).
   * Like TFC, once and without retry; a failure is a warning and the flow's polling still sees the run end.
   */
  private async notifyEnd(workspaceId: string, tenantCode: string, run: LocalRun): Promise<void> {
    const notifications = this.options.notifications;
    const url = notifications?.url();
    if (!notifications || !url || (run.status !== 'applied' && run.status !== 'errored')) return;
    const applied = run.status === 'applied';
    const body = JSON.stringify(
      runNotificationPayload({
        configurationId: LOCAL_NOTIFICATION_CONFIGURATION_ID,
        runId: run.id,
        runUrl: notifications.runUrl?.(tenantCode, run.id) ?? '',
        workspaceId,
        // The working directory is named like the tenant's TFC workspace (see startRun).
        workspaceName: workspaceId,
        organizationName: LOCAL_ORGANIZATION,
        trigger: applied ? 'run:completed' : 'run:errored',
        runStatus: run.status,
        message: applied ? 'Run Applied' : 'Run Errored',
        createdAt: run.createdAt,
        updatedAt: run.finishedAt ?? new Date().toISOString(),
      }),
    );
    const timeout = notifications.timeoutMs ?? 10_000;
    const target = safeTarget(url);
    try {
      const res = await request(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [NOTIFICATION_SIGNATURE_HEADER]: signNotification(body, notifications.token),
        },
        body,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      await res.body.dump();
      if (res.statusCode < 200 || res.statusCode >= 300) {
        this.options.warn?.(`run notification of ${run.id} to ${target} was answered ${res.statusCode}`);
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.options.warn?.(`run notification of ${run.id} to ${target} failed: ${reason}`);
    }
  }

  /** Replaces the workspace's Terraform files with the module's, keeping state and variables. */
  private async copyModule(dir: string): Promise<void> {
    for (const file of await readdir(dir)) {
      if (file.endsWith('.tf')) await rm(join(dir, file));
    }
    for (const file of await readdir(this.options.moduleDir)) {
      if (file.endsWith('.tf')) await copyFile(join(this.options.moduleDir, file), join(dir, file));
    }
  }

  /** Runs one Terraform command; with `log`, appends the command and its whole output to that file. */
  private async terraform(
    cwd: string,
    args: string[],
    log?: string,
  ): Promise<{ stdout: string; stderr: string }> {
    if (log) await appendFile(log, `$ terraform ${args.join(' ')}\n`);
    try {
      const result = await this.spawnTerraform(cwd, args);
      if (log) await appendFile(log, result.stdout + result.stderr);
      return result;
    } catch (error) {
      if (log)
        await appendFile(log, (error as { output?: string }).output ?? `${(error as Error).message}\n`);
      throw error;
    }
  }

  private spawnTerraform(cwd: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.options.terraformBinary ?? 'terraform', args, {
        cwd,
        env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1', TF_INPUT: '0' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.children.add(child);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', (error) => {
        this.children.delete(child);
        reject(new Error(`could not run terraform (${error.message}); is it installed and on the PATH?`));
      });
      child.on('close', (code) => {
        this.children.delete(child);
        if (code === 0) resolve({ stdout, stderr });
        else
          reject(
            Object.assign(new Error(`terraform ${args[0]} failed: ${errorSummary(stderr || stdout)}`), {
              output: stdout + stderr,
            }),
          );
      });
    });
  }
}

/** A URL as logged: no user info, no query (either could carry a credential). */
function safeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return 'an invalid URL';
  }
}

/** The `Error:` block Terraform prints, flattened to one line a person can act on. */
export function errorSummary(output: string): string {
  const start = output.indexOf('Error:');
  const text = (start >= 0 ? output.slice(start) : output).replace(/[│╷╵]/g, ' ').replace(/\s+/g, ' ').trim();
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text || 'no output';
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** Writes through a temporary file so a crash never leaves half a record. */
async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(value, null, 2));
  await rename(tmp, path);
}
