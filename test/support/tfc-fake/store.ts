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
  ResolvedOutcome,
  RunRecord,
  StateVersionRecord,
  TagBindingRecord,
  VariableRecord,
  WorkspaceRecord,
} from './records';
import { isTerminal, runStatusAt, terminalAt } from './run-timeline';
import type {
  FakeConfigurationVersionView,
  FakeRunView,
  FakeWorkspaceView,
  RunOutcomeSpec,
  RunOutcomeStatus,
  TfcFakeOptions,
} from './types';

export interface StoreConfig {
  organization: string;
  now: () => number;
  ids: IdGenerator;
  terraformVersion: string;
  outputsProcessingMs: number;
  uploadProcessingMs: number;
  runDurationMs: NonNullable<TfcFakeOptions['runDurationMs']>;
  runOutcome: TfcFakeOptions['runOutcome'];
  outputs: TfcFakeOptions['outputs'];
  uploadOutcome: TfcFakeOptions['uploadOutcome'];
}

export interface WorkspaceInput {
  name: string;
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

export type ConfigurationVersionStatus = 'pending' | 'uploaded' | 'errored';

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
  private readonly idsByName = new Map<string, string>();

  public constructor(private readonly config: StoreConfig) {}

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
    for (const { key, value } of input.runVariables) terraformVariables[key] = value;
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
    };
    const duration = this.config.runDurationMs;
    run.durationMs = Math.max(0, typeof duration === 'number' ? duration : duration(this.runView(run)));
    this.runs.set(run.id, run);
    ws.runIds.push(run.id);
    ws.currentConfigurationVersionId = cv.id;
    return run;
  }

  private variableMap(ws: WorkspaceRecord, category: 'terraform' | 'env'): Record<string, string> {
    return Object.fromEntries(
      ws.variables.filter((v) => v.category === category).map((v) => [v.key, v.value]),
    );
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

  /** Brings every workspace's runs up to `now()`: starts queued runs in order, settles finished ones. */
  public advance(): void {
    const now = this.now();
    for (const ws of this.workspaces.values()) this.advanceWorkspace(ws, now);
  }

  private advanceWorkspace(ws: WorkspaceRecord, now: number): void {
    // TFC runs one run at a time per workspace; later runs wait in `pending` (run.mdx "plan_queued").
    // `queue.next` skips the runs already settled, so a request costs O(open runs), not O(all runs).
    const { queue } = ws;
    while (queue.next < ws.runIds.length) {
      const run = this.runs.get(ws.runIds[queue.next] ?? '');
      if (run === undefined) return;
      if (run.startedAt === undefined && run.interruption === undefined) {
        const start = Math.max(run.createdAt, queue.freeAt);
        if (start > now) return;
        this.startRun(ws, run, start);
      }
      if (run.startedAt !== undefined) {
        // A run discarded while pending never ran and does not hold the queue.
        const finished = terminalAt(run);
        if (finished === undefined || finished > now) return;
        this.settleRun(ws, run, finished);
        queue.freeAt = finished;
      }
      queue.next += 1;
    }
  }

  private startRun(ws: WorkspaceRecord, run: RunRecord, at: number): void {
    run.startedAt = at;
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
    const status = hasChanges && !run.planOnly ? 'applied' : 'planned_and_finished';
    return { status, message: undefined, phase: 'plan', hasChanges };
  }

  private resolveOutcome(
    run: RunRecord,
    chosen: RunOutcomeSpec | RunOutcomeStatus,
    fallback: ResolvedOutcome,
  ): ResolvedOutcome {
    const spec: RunOutcomeSpec = typeof chosen === 'string' ? { status: chosen } : chosen;
    // A plan-only run can never apply (run.mdx "plan-only").
    const status = run.planOnly && spec.status === 'applied' ? 'planned_and_finished' : spec.status;
    const hasChanges = status === 'applied' ? true : fallback.hasChanges;
    const message = spec.message ?? (status === 'errored' ? 'the fake run failed' : undefined);
    return { status, message, phase: spec.phase ?? 'plan', hasChanges };
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
      processedAt: at + this.config.outputsProcessingMs,
      fingerprint: run.isDestroy ? undefined : run.fingerprint,
    };
    this.stateVersions.set(state.id, state);
    ws.currentStateVersionId = state.id;
    ws.latestChangeAt = at;
  }

  // ---- views ------------------------------------------------------------------------------------

  public workspaceView(ws: WorkspaceRecord): FakeWorkspaceView {
    const state = this.currentState(ws);
    return {
      id: ws.id,
      name: ws.name,
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
