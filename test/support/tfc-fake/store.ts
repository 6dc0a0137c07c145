/**
 * The fake's state and its rules: workspaces, variables, tags, configuration versions, runs and
 * state versions of one organization. Time only moves through `now()`; runs progress lazily in
 * `advance()`, which every request and every view calls first.
 */
import { createHash } from 'node:crypto';

import type { IdGenerator } from './ids';
import { toOutputRecords } from './outputs';
import type {
  ConfigurationVersionRecord,
  NotificationConfigurationRecord,
  ProjectRecord,
  ResolvedOutcome,
  RunRecord,
  StateVersionRecord,
  TagBindingRecord,
  VariableRecord,
  VariableSetRecord,
  WorkspaceRecord,
} from './records';
import { decodeHclLiteral } from './hcl';
import { isExecuting, isTerminal, runEvents, runStatusAt, terminalAt } from './run-timeline';
import type {
  FakeConfigurationVersionView,
  FakeRunView,
  FakeWorkspaceView,
  NeedsAttentionStatus,
  RunOutcomeSpec,
  RunOutcomeStatus,
  TfcFakeOptions,
} from './types';

export interface StoreConfig {
  organization: string;
  now: () => number;
  ids: IdGenerator;
  terraformVersion: string;
  outputsProcessingMs: NonNullable<TfcFakeOptions['outputsProcessingMs']>;
  uploadProcessingMs: number;
  runDurationMs: NonNullable<TfcFakeOptions['runDurationMs']>;
  maxConcurrentRuns: number;
  runOutcome: TfcFakeOptions['runOutcome'];
  outputs: TfcFakeOptions['outputs'];
  uploadOutcome: TfcFakeOptions['uploadOutcome'];
}

export interface WorkspaceInput {
  name: string;
  projectId: string | undefined;
  description: string | null;
  autoApply: boolean;
  tagNames: string[];
  tagBindings: { key: string; value: string }[];
}

export interface VariableInput {
  key: string;
  value: string;
  description: string | null;
  category: 'terraform' | 'env';
  hcl: boolean;
  sensitive: boolean;
}

/** What a new run is made from: the request's attributes, plus the workspace and configuration. */
export type RunInput = Pick<
  RunRecord,
  | 'message'
  | 'source'
  | 'isDestroy'
  | 'autoApply'
  | 'planOnly'
  | 'refresh'
  | 'refreshOnly'
  | 'targetAddrs'
  | 'replaceAddrs'
  | 'runVariables'
> & {
  workspace: WorkspaceRecord;
  configurationVersion: ConfigurationVersionRecord;
};

export type ConfigurationVersionStatus = 'pending' | 'uploaded' | 'errored' | 'archived';

const NEEDS_ATTENTION: ReadonlySet<string> = new Set([
  'planned',
  'cost_estimated',
  'policy_checked',
  'policy_override',
  'post_plan_awaiting_decision',
]);

/** The name of the project every organization starts with (projects.mdx sample "Default Project"). */
export const DEFAULT_PROJECT = 'Default Project';

function sha256(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

export class Store {
  public baseUrl = '';
  public readonly workspaces = new Map<string, WorkspaceRecord>();
  public readonly configurationVersions = new Map<string, ConfigurationVersionRecord>();
  public readonly runs = new Map<string, RunRecord>();
  public readonly stateVersions = new Map<string, StateVersionRecord>();
  /** Organization tags by name (organization-tags.mdx): id and creation time. */
  public readonly tags = new Map<string, { id: string; createdAt: number }>();
  public readonly projects = new Map<string, ProjectRecord>();
  public readonly variableSets = new Map<string, VariableSetRecord>();
  public readonly notificationConfigurations = new Map<string, NotificationConfigurationRecord>();
  /** Told of every new run and of every `advance()` (the notification deliveries watch runs through it). */
  public readonly observers: { runCreated(run: RunRecord): void; advanced(): void }[] = [];
  public readonly defaultProjectId: string;
  private readonly idsByName = new Map<string, string>();
  /** Started runs that may still execute (planning/applying), for the organization's concurrency cap. */
  private open: RunRecord[] = [];
  /** The time of the latest run start: starts never go back in time. */
  private lastStartAt = Number.NEGATIVE_INFINITY;

  public constructor(private readonly config: StoreConfig) {
    const project = this.createProject(DEFAULT_PROJECT);
    this.defaultProjectId = project.id;
  }

  public get maxConcurrentRuns(): number {
    return this.config.maxConcurrentRuns;
  }

  // ---- projects ---------------------------------------------------------------------------------

  public createProject(name: string): ProjectRecord {
    const project: ProjectRecord = { id: this.ids.next('prj'), name, createdAt: this.now() };
    this.projects.set(project.id, project);
    return project;
  }

  /** projects.mdx: names are matched case-insensitively. */
  public projectByName(name: string, exceptId?: string): ProjectRecord | undefined {
    const wanted = name.toLowerCase();
    return [...this.projects.values()].find((p) => p.name.toLowerCase() === wanted && p.id !== exceptId);
  }

  public projectWorkspaces(projectId: string): WorkspaceRecord[] {
    return [...this.workspaces.values()].filter((ws) => ws.projectId === projectId);
  }

  // ---- visibility -------------------------------------------------------------------------------

  /** index.mdx: a resource the token may not see answers 404, like one that does not exist. */
  public visible(ws: WorkspaceRecord | undefined, token: string | undefined): ws is WorkspaceRecord {
    return ws !== undefined && (token === undefined || !ws.hiddenFrom.has(token));
  }

  public get organization(): string {
    return this.config.organization;
  }

  public get terraformVersion(): string {
    return this.config.terraformVersion;
  }

  public now(): number {
    return this.config.now();
  }

  public get ids(): IdGenerator {
    return this.config.ids;
  }

  // ---- workspaces -------------------------------------------------------------------------------

  public workspaceByName(name: string): WorkspaceRecord | undefined {
    const id = this.idsByName.get(name);
    return id === undefined ? undefined : this.workspaces.get(id);
  }

  public renameWorkspace(ws: WorkspaceRecord, name: string): void {
    this.idsByName.delete(ws.name);
    this.idsByName.set(name, ws.id);
    ws.name = name;
  }

  public createWorkspace(input: WorkspaceInput): WorkspaceRecord {
    const now = this.now();
    const ws: WorkspaceRecord = {
      id: this.ids.next('ws'),
      name: input.name,
      projectId: input.projectId ?? this.defaultProjectId,
      hiddenFrom: new Set(),
      description: input.description,
      autoApply: input.autoApply,
      createdAt: now,
      updatedAt: now,
      latestChangeAt: now,
      tagNames: [],
      tagBindings: [],
      variables: [],
      runIds: [],
      queue: { next: 0, freeAt: Number.NEGATIVE_INFINITY },
      configurationVersionIds: [],
      currentConfigurationVersionId: undefined,
      currentStateVersionId: undefined,
    };
    this.addTags(ws, input.tagNames);
    this.upsertTagBindings(ws, input.tagBindings);
    this.workspaces.set(ws.id, ws);
    this.idsByName.set(ws.name, ws.id);
    return ws;
  }

  public deleteWorkspace(ws: WorkspaceRecord): void {
    this.workspaces.delete(ws.id);
    this.idsByName.delete(ws.name);
    for (const set of this.variableSets.values()) set.workspaceIds.delete(ws.id);
    for (const nc of this.notificationConfigurations.values())
      if (nc.subscribable.type === 'workspaces' && nc.subscribable.id === ws.id)
        this.notificationConfigurations.delete(nc.id);
    // Its runs stop too: they no longer hold a slot of the organization's concurrency.
    this.open = this.open.filter((run) => run.workspaceId !== ws.id);
  }

  /** Adds flat tags (workspaces.mdx "Add tags to a workspace"), creating organization tags by name. */
  public addTags(ws: WorkspaceRecord, names: readonly string[]): void {
    for (const name of names) {
      if (!this.tags.has(name)) this.tags.set(name, { id: this.ids.next('tag'), createdAt: this.now() });
      if (!ws.tagNames.includes(name)) ws.tagNames.push(name);
    }
    ws.tagNames.sort();
  }

  public removeTags(ws: WorkspaceRecord, names: readonly string[]): void {
    ws.tagNames = ws.tagNames.filter((name) => !names.includes(name));
  }

  /** go-tfe `AddTagBindings`: adds keys or changes the value of existing keys. */
  public upsertTagBindings(ws: WorkspaceRecord, bindings: readonly { key: string; value: string }[]): void {
    for (const { key, value } of bindings) {
      const existing = ws.tagBindings.find((binding) => binding.key === key);
      if (existing !== undefined) existing.value = value;
      else ws.tagBindings.push({ id: this.ids.next('tb'), key, value, createdAt: this.now() });
    }
  }

  /** Workspace update with a `tag-bindings` relationship replaces them all (go-tfe UpdateOptions). */
  public replaceTagBindings(ws: WorkspaceRecord, bindings: readonly { key: string; value: string }[]): void {
    const kept: TagBindingRecord[] = [];
    for (const { key, value } of bindings) {
      const existing = ws.tagBindings.find((binding) => binding.key === key);
      kept.push({
        id: existing?.id ?? this.ids.next('tb'),
        key,
        value,
        createdAt: existing?.createdAt ?? this.now(),
      });
    }
    ws.tagBindings = kept;
  }

  public tagInstanceCount(name: string): number {
    return [...this.workspaces.values()].filter((ws) => ws.tagNames.includes(name)).length;
  }

  public currentState(ws: WorkspaceRecord): StateVersionRecord | undefined {
    return ws.currentStateVersionId === undefined
      ? undefined
      : this.stateVersions.get(ws.currentStateVersionId);
  }

  public resourceCount(ws: WorkspaceRecord): number {
    return this.currentState(ws)?.resourceCount ?? 0;
  }

  /** The run holding the workspace lock (it started and has not finished), if any. */
  public lockingRun(ws: WorkspaceRecord): RunRecord | undefined {
    const now = this.now();
    return this.workspaceRuns(ws).find((run) => {
      if (run.startedAt === undefined || run.startedAt > now) return false;
      return !isTerminal(runStatusAt(run, now));
    });
  }

  /** Why safe-delete must refuse (workspaces.mdx "Safe Delete a workspace", go-tfe's 409 texts). */
  public safeDeleteBlocker(ws: WorkspaceRecord): string | undefined {
    if (this.lockingRun(ws) !== undefined) {
      return 'Workspace is currently locked. Workspace must be unlocked before it can be safely deleted';
    }
    const state = this.currentState(ws);
    if (state !== undefined && state.processedAt > this.now()) {
      return 'Latest workspace state is being processed to discover resources, please try again later';
    }
    if (this.resourceCount(ws) > 0) {
      return 'workspace cannot be safely deleted because it is still managing resources';
    }
    return undefined;
  }

  // ---- variables --------------------------------------------------------------------------------

  /** Variable keys are unique per workspace and category. */
  public variableTaken(ws: WorkspaceRecord, key: string, category: string, exceptId?: string): boolean {
    return ws.variables.some((v) => v.key === key && v.category === category && v.id !== exceptId);
  }

  public addVariable(ws: WorkspaceRecord, input: VariableInput): VariableRecord {
    const variable: VariableRecord = {
      id: this.ids.next('var'),
      workspaceId: ws.id,
      ...input,
      versionId: this.ids.hex(36),
      createdAt: this.now(),
    };
    ws.variables.push(variable);
    return variable;
  }

  public updateVariable(variable: VariableRecord, changes: Partial<VariableInput>): void {
    Object.assign(variable, changes);
    variable.versionId = this.ids.hex(36);
  }

  public deleteVariable(ws: WorkspaceRecord, variable: VariableRecord): void {
    ws.variables = ws.variables.filter((v) => v.id !== variable.id);
  }

  // ---- configuration versions -------------------------------------------------------------------

  public createConfigurationVersion(
    ws: WorkspaceRecord,
    autoQueueRuns: boolean,
    speculative: boolean,
  ): ConfigurationVersionRecord {
    const cv: ConfigurationVersionRecord = {
      id: this.ids.next('cv'),
      workspaceId: ws.id,
      autoQueueRuns,
      speculative,
      uploadSecret: this.ids.hex(32),
      upload: undefined,
      uploadedAt: undefined,
      uploadOutcome: undefined,
      archivedAt: undefined,
      createdAt: this.now(),
    };
    this.configurationVersions.set(cv.id, cv);
    ws.configurationVersionIds.push(cv.id);
    // run.mdx: a version is "used" when it is created or used for a run in the workspace.
    ws.currentConfigurationVersionId = cv.id;
    return cv;
  }

  public uploadUrl(cv: ConfigurationVersionRecord): string {
    return `${this.baseUrl}/_archivist/v1/object/${cv.uploadSecret}`;
  }

  public configurationVersionBySecret(secret: string): ConfigurationVersionRecord | undefined {
    return [...this.configurationVersions.values()].find((cv) => cv.uploadSecret === secret);
  }

  /** configuration-versions.mdx "Configuration Version States", with processing after the PUT. */
  public configurationVersionStatus(cv: ConfigurationVersionRecord): ConfigurationVersionStatus {
    if (cv.archivedAt !== undefined) return 'archived';
    if (cv.uploadedAt === undefined || cv.uploadOutcome === undefined) return 'pending';
    if (this.now() < cv.uploadedAt + this.config.uploadProcessingMs) return 'pending';
    return cv.uploadOutcome === 'uploaded' ? 'uploaded' : 'errored';
  }

  public configurationVersionError(cv: ConfigurationVersionRecord): string | null {
    const outcome = cv.uploadOutcome;
    return this.configurationVersionStatus(cv) === 'errored' && typeof outcome === 'object'
      ? outcome.message
      : null;
  }

  /** Runs using the version that have not finished (configuration-versions.mdx: archive refuses them). */
  public configurationVersionInUse(cv: ConfigurationVersionRecord): boolean {
    const now = this.now();
    return [...this.runs.values()].some(
      (run) =>
        run.configurationVersionId === cv.id &&
        this.workspaces.has(run.workspaceId) &&
        !isTerminal(runStatusAt(run, now)),
    );
  }

  /** configuration-versions.mdx: the uploaded files are discarded; the version can no longer run. */
  public archive(cv: ConfigurationVersionRecord): void {
    cv.archivedAt = this.now();
    cv.upload = undefined;
  }

  /** Stores the tarball; with `auto-queue-runs` (the default) a run is queued on the workspace. */
  public upload(cv: ConfigurationVersionRecord, body: Buffer): void {
    cv.upload = body;
    cv.uploadedAt = this.now();
    cv.uploadOutcome = this.config.uploadOutcome?.(body) ?? 'uploaded';
    const ws = this.workspaces.get(cv.workspaceId);
    if (!cv.autoQueueRuns || cv.uploadOutcome !== 'uploaded' || ws === undefined) return;
    this.createRun({
      workspace: ws,
      configurationVersion: cv,
      message: 'Triggered via API',
      source: 'tfe-configuration-version',
      isDestroy: false,
      autoApply: ws.autoApply,
      planOnly: cv.speculative,
      refresh: true,
      refreshOnly: false,
      targetAddrs: null,
      replaceAddrs: null,
      runVariables: [],
    });
  }

  /** run.mdx: without an explicit version a run uses the workspace's latest usable one. */
  public latestUploadedVersion(ws: WorkspaceRecord): ConfigurationVersionRecord | undefined {
    return ws.configurationVersionIds
      .map((id) => this.configurationVersions.get(id))
      .filter((cv): cv is ConfigurationVersionRecord => cv !== undefined)
      .filter((cv) => this.configurationVersionStatus(cv) === 'uploaded')
      .at(-1);
  }

  // ---- runs -------------------------------------------------------------------------------------

  public workspaceRuns(ws: WorkspaceRecord): RunRecord[] {
    return ws.runIds.map((id) => this.runs.get(id)).filter((run): run is RunRecord => run !== undefined);
  }

  public createRun(input: RunInput): RunRecord {
    const { workspace: ws, configurationVersion: cv } = input;
    const terraformVariables = this.variableMap(ws, 'terraform');
    // run.mdx "Create a Run": run variables are HCL literals and take precedence over all others.
    let variableError: string | undefined;
    for (const { key, value } of input.runVariables) {
      const decoded = decodeHclLiteral(value);
      if (decoded.ok) terraformVariables[key] = decoded.value;
      else variableError ??= `Invalid value for variable "${key}": ${decoded.error}`;
    }
    const envVariables = this.variableMap(ws, 'env');
    const run: RunRecord = {
      id: this.ids.next('run'),
      planId: this.ids.next('plan'),
      applyId: this.ids.next('apply'),
      workspaceId: ws.id,
      workspaceName: ws.name,
      configurationVersionId: cv.id,
      createdAt: this.now(),
      message: input.message,
      source: input.source,
      isDestroy: input.isDestroy,
      autoApply: input.autoApply,
      planOnly: input.planOnly,
      refresh: input.refresh,
      refreshOnly: input.refreshOnly,
      targetAddrs: input.targetAddrs,
      replaceAddrs: input.replaceAddrs,
      runVariables: input.runVariables,
      terraformVariables,
      envVariables,
      fingerprint: this.fingerprint(cv, terraformVariables, envVariables),
      durationMs: 0,
      startedAt: undefined,
      outcome: undefined,
      confirmedAt: undefined,
      interruption: undefined,
      variableError,
    };
    const duration = this.config.runDurationMs;
    run.durationMs = Math.max(0, typeof duration === 'number' ? duration : duration(this.runView(run)));
    this.runs.set(run.id, run);
    ws.runIds.push(run.id);
    ws.currentConfigurationVersionId = cv.id;
    for (const observer of this.observers) observer.runCreated(run);
    return run;
  }

  /**
   * The values a run sees, lowest precedence first: global variable sets, project-scoped sets,
   * workspace-scoped sets, then the workspace's own variables (run.mdx: run variables "take
   * precedence over variables with the same key applied to the workspace (e.g., variable sets)"; the
   * order among sets is assumed from the workspace variable-precedence docs). HCL-typed values are
   * decoded when they are literals; other expressions are kept as written.
   */
  private variableMap(ws: WorkspaceRecord, category: 'terraform' | 'env'): Record<string, string> {
    const sets = [...this.variableSets.values()];
    const layers: VariableRecord[][] = [
      ...sets.filter((set) => set.global).map((set) => set.variables),
      ...sets.filter((set) => !set.global && set.projectIds.has(ws.projectId)).map((set) => set.variables),
      ...sets.filter((set) => !set.global && set.workspaceIds.has(ws.id)).map((set) => set.variables),
      ws.variables,
    ];
    const values: Record<string, string> = {};
    for (const layer of layers) {
      for (const v of layer) {
        if (v.category !== category) continue;
        const decoded = v.hcl && category === 'terraform' ? decodeHclLiteral(v.value) : undefined;
        values[v.key] = decoded?.ok === true ? decoded.value : v.value;
      }
    }
    return values;
  }

  private fingerprint(
    cv: ConfigurationVersionRecord,
    terraformVariables: Record<string, string>,
    envVariables: Record<string, string>,
  ): string {
    const sorted = (vars: Record<string, string>): string =>
      JSON.stringify(Object.entries(vars).sort(([a], [b]) => a.localeCompare(b)));
    const config = cv.upload === undefined ? cv.id : createHash('sha256').update(cv.upload).digest('hex');
    return sha256([config, sorted(terraformVariables), sorted(envVariables)]);
  }

  public runByPhaseId(kind: 'plan' | 'apply', id: string): RunRecord | undefined {
    return [...this.runs.values()].find((run) => (kind === 'plan' ? run.planId : run.applyId) === id);
  }

  /**
   * Brings every run up to `now()`: settles finished runs (writing their state) and starts queued
   * runs in the order they became startable. A run starts when its workspace's queue is free (one
   * active run per workspace; run.mdx "plan_queued") and the organization has fewer than
   * `maxConcurrentRuns` runs planning or applying (the plan's concurrency; later runs wait in
   * `pending`). Runs waiting for a person hold their workspace's queue but no concurrency slot: no
   * Terraform process runs for them (an assumption; the docs do not say).
   */
  public advance(): void {
    const now = this.now();
    for (;;) {
      let best: { ws: WorkspaceRecord; run: RunRecord; at: number } | undefined;
      for (const ws of this.workspaces.values()) {
        const head = this.queueHead(ws, now);
        if (head === undefined) continue;
        const at = this.slotFreeAt(Math.max(head.ready, this.lastStartAt));
        if (at === undefined || at > now) continue;
        if (
          best === undefined ||
          at < best.at ||
          (at === best.at && head.run.createdAt < best.run.createdAt)
        ) {
          best = { ws, run: head.run, at };
        }
      }
      if (best === undefined) break;
      this.startRun(best.ws, best.run, best.at);
    }
    this.open = this.open.filter((run) => {
      const end = terminalAt(run);
      return end === undefined || end > this.lastStartAt;
    });
    for (const observer of this.observers) observer.advanced();
  }

  /**
   * The next run of the workspace's queue that has not started, with the time its turn came; settles
   * the runs before it that have finished. Undefined while a run of the workspace is active.
   */
  private queueHead(ws: WorkspaceRecord, now: number): { run: RunRecord; ready: number } | undefined {
    // `queue.next` skips the runs already settled, so a request costs O(open runs), not O(all runs).
    const { queue } = ws;
    while (queue.next < ws.runIds.length) {
      const run = this.runs.get(ws.runIds[queue.next] ?? '');
      if (run === undefined) return undefined;
      if (run.startedAt === undefined) {
        // A run discarded while pending never ran and does not hold the queue.
        if (run.interruption === undefined) return { run, ready: Math.max(run.createdAt, queue.freeAt) };
        queue.next += 1;
        continue;
      }
      const finished = terminalAt(run);
      if (finished === undefined || finished > now) return undefined;
      this.settleRun(ws, run, finished);
      queue.freeAt = finished;
      queue.next += 1;
    }
    return undefined;
  }

  /** The earliest time at or after `from` when fewer than the cap of runs are executing. */
  private slotFreeAt(from: number): number | undefined {
    const cap = this.config.maxConcurrentRuns;
    const candidates = new Set<number>([from]);
    for (const run of this.open) {
      for (const event of runEvents(run)) if (event.at > from) candidates.add(event.at);
    }
    for (const at of [...candidates].sort((a, b) => a - b)) {
      if (this.executingAt(at) < cap) return at;
    }
    return undefined;
  }

  /** Runs planning or applying at `at` (started runs only). */
  public executingAt(at: number, runs: Iterable<RunRecord> = this.open): number {
    let count = 0;
    for (const run of runs) {
      if (run.startedAt !== undefined && run.startedAt <= at && isExecuting(runStatusAt(run, at))) count += 1;
    }
    return count;
  }

  /** The most runs ever executing at once: a sweep over every run's planning/applying intervals. */
  public peakExecuting(): number {
    const deltas: Array<[number, number]> = [];
    for (const run of this.runs.values()) {
      const events = runEvents(run);
      events.forEach((event, i) => {
        const next = events[i + 1];
        if (!isExecuting(event.status)) return;
        deltas.push([event.at, 1]);
        if (next !== undefined) deltas.push([next.at, -1]);
      });
    }
    // Ends before starts at the same instant: a slot freed and taken at once is not two runs.
    deltas.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let current = 0;
    let peak = 0;
    for (const [, delta] of deltas) {
      current += delta;
      peak = Math.max(peak, current);
    }
    return peak;
  }

  private startRun(ws: WorkspaceRecord, run: RunRecord, at: number): void {
    run.startedAt = at;
    this.lastStartAt = Math.max(this.lastStartAt, at);
    this.open.push(run);
    const fallback = this.defaultOutcome(ws, run);
    const chosen = this.config.runOutcome?.(this.workspaceView(ws), this.runView(run));
    run.outcome = chosen === undefined ? fallback : this.resolveOutcome(run, chosen, fallback);
  }

  /**
   * Without a `runOutcome` answer: a plan without changes (same configuration and variables as the
   * applied state, or a destroy with nothing to destroy) ends `planned_and_finished`; plan-only runs
   * too; everything else applies.
   */
  private defaultOutcome(ws: WorkspaceRecord, run: RunRecord): ResolvedOutcome {
    const state = this.currentState(ws);
    const hasChanges = run.isDestroy
      ? (state?.resourceCount ?? 0) > 0
      : state === undefined || state.fingerprint !== run.fingerprint;
    if (run.variableError !== undefined) {
      // A run variable that is not a literal fails the plan, as Terraform refuses it.
      return { status: 'errored', halt: undefined, message: run.variableError, phase: 'plan', hasChanges };
    }
    const status = hasChanges && !run.planOnly ? 'applied' : 'planned_and_finished';
    return { status, halt: undefined, message: undefined, phase: 'plan', hasChanges };
  }

  private resolveOutcome(
    run: RunRecord,
    chosen: RunOutcomeSpec | RunOutcomeStatus | NeedsAttentionStatus,
    fallback: ResolvedOutcome,
  ): ResolvedOutcome {
    const spec: RunOutcomeSpec = typeof chosen === 'string' ? { status: chosen } : chosen;
    if (NEEDS_ATTENTION.has(spec.status)) {
      // Stops after the plan; a confirmation (where allowed) applies it.
      const halt = spec.status as NeedsAttentionStatus;
      return { status: 'applied', halt, message: spec.message, phase: 'plan', hasChanges: true };
    }
    const chosenStatus = spec.status as ResolvedOutcome['status'];
    // A plan-only run can never apply (run.mdx "plan-only").
    const status = run.planOnly && chosenStatus === 'applied' ? 'planned_and_finished' : chosenStatus;
    const hasChanges = status === 'applied' ? true : fallback.hasChanges;
    const message = spec.message ?? (status === 'errored' ? 'the fake run failed' : undefined);
    return { status, halt: undefined, message, phase: spec.phase ?? 'plan', hasChanges };
  }

  /** A successful apply writes a new state version; a destroy apply leaves no resources and no outputs. */
  private settleRun(ws: WorkspaceRecord, run: RunRecord, at: number): void {
    if (runStatusAt(run, at) !== 'applied') return;
    const outputs = run.isDestroy
      ? []
      : (this.config.outputs?.(
          ws.name,
          { ...run.terraformVariables },
          {
            workspace: this.workspaceView(ws),
            run: this.runView(run),
            envVariables: { ...run.envVariables },
          },
        ) ?? []);
    const previous = this.currentState(ws);
    const state: StateVersionRecord = {
      id: this.ids.next('sv'),
      workspaceId: ws.id,
      serial: (previous?.serial ?? 0) + 1,
      createdAt: at,
      outputs: toOutputRecords(outputs, this.ids),
      resourceCount: run.isDestroy ? 0 : 1,
      processedAt: at + this.processingMs(run),
      fingerprint: run.isDestroy ? undefined : run.fingerprint,
    };
    this.stateVersions.set(state.id, state);
    ws.currentStateVersionId = state.id;
    ws.latestChangeAt = at;
  }

  private processingMs(run: RunRecord): number {
    const processing = this.config.outputsProcessingMs;
    return Math.max(0, typeof processing === 'number' ? processing : processing(this.runView(run)));
  }

  // ---- views ------------------------------------------------------------------------------------

  public workspaceView(ws: WorkspaceRecord): FakeWorkspaceView {
    const state = this.currentState(ws);
    return {
      id: ws.id,
      name: ws.name,
      projectId: ws.projectId,
      autoApply: ws.autoApply,
      description: ws.description,
      tagNames: [...ws.tagNames],
      tagBindings: ws.tagBindings.map(({ key, value }) => ({ key, value })),
      resourceCount: this.resourceCount(ws),
      locked: this.lockingRun(ws) !== undefined,
      variables: ws.variables.map(({ id, key, value, description, category, hcl, sensitive }) => ({
        id,
        key,
        value,
        description,
        category,
        hcl,
        sensitive,
      })),
      outputs: (state?.outputs ?? []).map(({ id, name, sensitive, type, value }) => ({
        id,
        name,
        sensitive,
        type,
        value,
      })),
      currentStateVersionId: state?.id ?? null,
      currentConfigurationVersionId: ws.currentConfigurationVersionId ?? null,
      latestRunId: ws.runIds.at(-1) ?? null,
      createdAt: ws.createdAt,
    };
  }

  public runView(run: RunRecord): FakeRunView {
    const status = runStatusAt(run, this.now());
    const finishedAt = isTerminal(status) ? terminalAt(run) : undefined;
    const errored = status === 'errored';
    return {
      id: run.id,
      workspaceId: run.workspaceId,
      workspaceName: run.workspaceName,
      configurationVersionId: run.configurationVersionId,
      status,
      isDestroy: run.isDestroy,
      autoApply: run.autoApply,
      planOnly: run.planOnly,
      message: run.message,
      source: run.source,
      outcome: run.outcome === undefined ? undefined : { ...run.outcome },
      errorMessage: errored ? run.outcome?.message : undefined,
      variables: { ...run.terraformVariables },
      createdAt: run.createdAt,
      startedAt: run.startedAt,
      finishedAt,
    };
  }

  public configurationVersionView(cv: ConfigurationVersionRecord): FakeConfigurationVersionView {
    return {
      id: cv.id,
      workspaceId: cv.workspaceId,
      status: this.configurationVersionStatus(cv),
      autoQueueRuns: cv.autoQueueRuns,
      speculative: cv.speculative,
      uploadUrl: this.uploadUrl(cv),
      upload: cv.upload,
      createdAt: cv.createdAt,
    };
  }
}
