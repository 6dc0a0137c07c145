/**
 * Records → JSON:API resource objects, shaped after the sample responses in terraform-docs-common
 * (workspaces.mdx, workspace-variables.mdx, configuration-versions.mdx, run.mdx, plans.mdx,
 * applies.mdx, state-version-outputs.mdx, organization-tags.mdx).
 */
import { isoTime, statusTime } from './jsonapi';
import type {
  NotificationConfigurationRecord,
  ConfigurationVersionRecord,
  OutputRecord,
  ProjectRecord,
  RunRecord,
  TagBindingRecord,
  VariableRecord,
  VariableSetRecord,
  WorkspaceRecord,
} from './records';
import {
  applyStatus,
  hasApplyPhase,
  isCancelable,
  isConfirmable,
  isDiscardable,
  planStatus,
  runEvents,
  runStatusAt,
  statusTimestamps,
  type PhaseStatus,
} from './run-timeline';
import type { Store } from './store';
import type { FakeRunStatus } from './types';

type Json = Record<string, unknown>;

const ref = (type: string, id: string): Json => ({ id, type });

function stamps(raw: Record<string, number>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).map(([key, at]) => [key, statusTime(at)]));
}

/** workspaces.mdx "permissions": a token of the owners team can do everything. */
const WORKSPACE_PERMISSIONS = {
  'can-create-state-versions': true,
  'can-destroy': true,
  'can-force-unlock': true,
  'can-lock': true,
  'can-manage-run-tasks': true,
  'can-manage-tags': true,
  'can-queue-apply': true,
  'can-queue-destroy': true,
  'can-queue-run': true,
  'can-read-settings': true,
  'can-read-state-versions': true,
  'can-read-variable': true,
  'can-unlock': true,
  'can-update': true,
  'can-update-variable': true,
  'can-force-delete': true,
};

function optionalRef(type: string, id: string | undefined, related?: string): Json {
  if (id === undefined) return { data: null };
  return related === undefined ? { data: ref(type, id) } : { data: ref(type, id), links: { related } };
}

function workspaceRelationships(store: Store, ws: WorkspaceRecord): Json {
  const state = store.currentState(ws);
  const latestRun = ws.runIds.at(-1);
  const locking = store.lockingRun(ws);
  const currentRun = locking?.id ?? latestRun;
  const relationships: Json = {
    organization: { data: ref('organizations', store.organization) },
    // workspaces.mdx: `relationships.project` names the workspace's project.
    project: { data: ref('projects', ws.projectId), links: { related: `/api/v2/projects/${ws.projectId}` } },
    'agent-pool': { data: null },
    'current-configuration-version': optionalRef(
      'configuration-versions',
      ws.currentConfigurationVersionId,
      `/api/v2/configuration-versions/${ws.currentConfigurationVersionId ?? ''}`,
    ),
    'current-run': optionalRef('runs', currentRun, `/api/v2/runs/${currentRun ?? ''}`),
    'latest-run': optionalRef('runs', latestRun, `/api/v2/runs/${latestRun ?? ''}`),
    'current-state-version': optionalRef(
      'state-versions',
      state?.id,
      `/api/v2/workspaces/${ws.id}/current-state-version`,
    ),
    outputs: { data: (state?.outputs ?? []).map((output) => ref('workspace-outputs', output.id)) },
    readme: { data: null },
    'remote-state-consumers': {
      links: { related: `/api/v2/workspaces/${ws.id}/relationships/remote-state-consumers` },
    },
    vars: { data: ws.variables.map((v) => ref('vars', v.id)) },
    'tag-bindings': { links: { related: `/api/v2/workspaces/${ws.id}/tag-bindings` } },
    'effective-tag-bindings': { links: { related: `/api/v2/workspaces/${ws.id}/effective-tag-bindings` } },
  };
  if (locking !== undefined) {
    relationships['locked-by'] = {
      data: ref('runs', locking.id),
      links: { related: `/api/v2/runs/${locking.id}` },
    };
  }
  return relationships;
}

export function serializeWorkspace(store: Store, ws: WorkspaceRecord): Json {
  const resourceCount = store.resourceCount(ws);
  return {
    id: ws.id,
    type: 'workspaces',
    attributes: {
      actions: { 'is-destroyable': true },
      'allow-destroy-plan': true,
      'apply-duration-average': null,
      'assessments-enabled': false,
      'auto-apply': ws.autoApply,
      'auto-destroy-at': null,
      'created-at': isoTime(ws.createdAt),
      description: ws.description,
      environment: 'default',
      'execution-mode': 'remote',
      'file-triggers-enabled': true,
      'global-remote-state': false,
      'latest-change-at': isoTime(ws.latestChangeAt),
      locked: store.lockingRun(ws) !== undefined,
      name: ws.name,
      operations: true,
      permissions: WORKSPACE_PERMISSIONS,
      'plan-duration-average': null,
      'policy-check-failures': null,
      'queue-all-runs': false,
      'resource-count': resourceCount,
      'run-failures': null,
      source: 'tfe-api',
      'source-name': null,
      'source-url': null,
      'speculative-enabled': true,
      'structured-run-output-enabled': true,
      'tag-names': [...ws.tagNames],
      'terraform-version': store.terraformVersion,
      'trigger-prefixes': [],
      'trigger-patterns': [],
      'updated-at': isoTime(ws.updatedAt),
      'vcs-repo': null,
      'vcs-repo-identifier': null,
      'working-directory': null,
      'workspace-kpis-runs-count': null,
    },
    relationships: workspaceRelationships(store, ws),
    links: { self: `/api/v2/organizations/${store.organization}/workspaces/${ws.name}` },
  };
}

/** workspace-variables.mdx; sensitive values come back `null` ("written once and not visible"). */
export function serializeVariable(store: Store, ws: WorkspaceRecord, variable: VariableRecord): Json {
  return {
    id: variable.id,
    type: 'vars',
    attributes: {
      key: variable.key,
      value: variable.sensitive ? null : variable.value,
      description: variable.description,
      sensitive: variable.sensitive,
      category: variable.category,
      hcl: variable.hcl,
      'created-at': isoTime(variable.createdAt),
      'version-id': variable.versionId,
    },
    relationships: {
      configurable: {
        data: ref('workspaces', ws.id),
        links: { related: `/api/v2/organizations/${store.organization}/workspaces/${ws.name}` },
      },
    },
    links: { self: `/api/v2/workspaces/${ws.id}/vars/${variable.id}` },
  };
}

/** configuration-versions.mdx; `upload-url` only in the create response ("hidden" afterwards). */
export function serializeConfigurationVersion(
  store: Store,
  cv: ConfigurationVersionRecord,
  includeUploadUrl = false,
): Json {
  const status = store.configurationVersionStatus(cv);
  const timestamps: Record<string, number> = {};
  if (cv.uploadedAt !== undefined && status !== 'pending') timestamps[`${status}-at`] = cv.uploadedAt;
  const attributes: Json = {
    'auto-queue-runs': cv.autoQueueRuns,
    error: status === 'errored' ? 'errored' : null,
    'error-message': store.configurationVersionError(cv),
    source: 'tfe-api',
    speculative: cv.speculative,
    status,
    'status-timestamps': stamps(timestamps),
    'changed-files': [],
  };
  if (includeUploadUrl) attributes['upload-url'] = store.uploadUrl(cv);
  return {
    id: cv.id,
    type: 'configuration-versions',
    attributes,
    relationships: {
      'ingress-attributes': {
        data: null,
        links: { related: `/api/v2/configuration-versions/${cv.id}/ingress-attributes` },
      },
    },
    links: {
      self: `/api/v2/configuration-versions/${cv.id}`,
      download: `/api/v2/configuration-versions/${cv.id}/download`,
    },
  };
}

/** run.mdx `actions`: what the apply, discard and cancel actions would accept now. */
function runActions(status: FakeRunStatus): Json {
  return {
    'is-cancelable': isCancelable(status),
    'is-confirmable': isConfirmable(status),
    'is-discardable': isDiscardable(status),
    'is-force-cancelable': false,
  };
}

/** run.mdx "Get run details" sample. Errors are not on the run: they are in the plan/apply logs. */
export function serializeRun(store: Store, run: RunRecord, statusOverride?: FakeRunStatus): Json {
  const now = store.now();
  const status = statusOverride ?? runStatusAt(run, now);
  const pendingOnly = statusOverride === 'pending';
  return {
    id: run.id,
    type: 'runs',
    attributes: {
      actions: runActions(status),
      'allow-empty-apply': false,
      'auto-apply': run.autoApply,
      'canceled-at':
        run.interruption?.status === 'canceled' && !pendingOnly ? isoTime(run.interruption.at) : null,
      'created-at': isoTime(run.createdAt),
      'has-changes':
        status === 'pending' || status === 'planning' ? false : (run.outcome?.hasChanges ?? false),
      'is-destroy': run.isDestroy,
      message: run.message,
      'plan-only': run.planOnly,
      'position-in-queue': 0,
      refresh: run.refresh,
      'refresh-only': run.refreshOnly,
      'replace-addrs': run.replaceAddrs,
      source: run.source,
      status,
      'status-timestamps': stamps(
        pendingOnly ? { 'plan-queueable-at': run.createdAt } : statusTimestamps(run, now),
      ),
      'target-addrs': run.targetAddrs,
      'terraform-version': store.terraformVersion,
      'trigger-reason': 'manual',
      variables: run.runVariables.map(({ key, value }) => ({ key, value })),
      permissions: {
        'can-apply': true,
        'can-cancel': true,
        'can-comment': true,
        'can-discard': true,
        'can-force-execute': true,
        'can-force-cancel': true,
        'can-override-policy-check': true,
      },
    },
    relationships: {
      workspace: { data: ref('workspaces', run.workspaceId) },
      'configuration-version': {
        data: ref('configuration-versions', run.configurationVersionId),
        links: { related: `/api/v2/runs/${run.id}/configuration-version` },
      },
      plan: { data: ref('plans', run.planId), links: { related: `/api/v2/runs/${run.id}/plan` } },
      apply: { data: ref('applies', run.applyId), links: { related: `/api/v2/runs/${run.id}/apply` } },
      'created-by': { data: ref('users', 'user-tfcfake0000000000') },
      comments: { data: [] },
      'cost-estimate': { data: null },
      'policy-checks': { data: [] },
      'run-events': { data: [] },
      'task-stages': { data: [] },
    },
    links: { self: `/api/v2/runs/${run.id}` },
  };
}

/** plans.mdx / applies.mdx `status-timestamps`: `queued-at`, `started-at`, then `<final status>-at`. */
function phaseTimestamps(run: RunRecord, kind: 'plan' | 'apply', status: PhaseStatus, now: number): Json {
  const events = runEvents(run).filter((event) => event.at <= now);
  const startIndex = events.findIndex(
    (event) => event.status === (kind === 'plan' ? 'planning' : 'applying'),
  );
  const raw: Record<string, number> = { 'queued-at': run.createdAt };
  const started = events[startIndex];
  if (started === undefined) return stamps(raw);
  raw['started-at'] = started.at;
  const ended = events[startIndex + 1];
  if (ended !== undefined && status !== 'running') raw[`${status}-at`] = ended.at;
  return stamps(raw);
}

/** plans.mdx / applies.mdx: status, timestamps, resource counts and the archivist log URL. */
export function serializePhase(store: Store, run: RunRecord, kind: 'plan' | 'apply'): Json {
  const runStatus = runStatusAt(run, store.now());
  const status = kind === 'plan' ? planStatus(run, runStatus) : applyStatus(run, runStatus);
  const id = kind === 'plan' ? run.planId : run.applyId;
  const changes = run.outcome?.hasChanges === true;
  const adds = changes && !run.isDestroy ? 1 : 0;
  const destroys = changes && run.isDestroy ? 1 : 0;
  const applies = run.outcome !== undefined && hasApplyPhase(run.outcome);
  const counted = kind === 'plan' || (status === 'finished' && applies);
  return {
    id,
    type: kind === 'plan' ? 'plans' : 'applies',
    attributes: {
      'execution-details': { mode: 'remote' },
      ...(kind === 'plan' ? { 'has-changes': changes, 'generated-configuration': false } : {}),
      'resource-additions': counted ? adds : 0,
      'resource-changes': 0,
      'resource-destructions': counted ? destroys : 0,
      'resource-imports': 0,
      status,
      'status-timestamps': phaseTimestamps(run, kind, status, store.now()),
      'log-read-url': `${store.baseUrl}/_archivist/v1/object/logs-${id}`,
    },
    relationships: { 'state-versions': { data: [] } },
    links: { self: `/api/v2/${kind === 'plan' ? 'plans' : 'applies'}/${id}` },
  };
}

/** state-version-outputs.mdx; `hideSensitive` for the workspace's current outputs (value `null`). */
export function serializeOutput(output: OutputRecord, hideSensitive: boolean): Json {
  return {
    id: output.id,
    type: 'state-version-outputs',
    attributes: {
      name: output.name,
      sensitive: output.sensitive,
      type: output.type,
      value: hideSensitive && output.sensitive ? null : output.value,
      'detailed-type': output.detailedType,
    },
    links: { self: `/api/v2/state-version-outputs/${output.id}` },
  };
}

/** workspaces.mdx "Get Tags" sample. */
export function serializeTag(store: Store, name: string): Json {
  const tag = store.tags.get(name);
  return {
    id: tag?.id ?? name,
    type: 'tags',
    attributes: {
      name,
      'created-at': isoTime(tag?.createdAt ?? 0),
      'instance-count': store.tagInstanceCount(name),
    },
    relationships: { organization: { data: ref('organizations', store.organization) } },
  };
}

/** go-tfe `TagBinding`: `tag-bindings` with `key` and `value`. */
export function serializeTagBinding(binding: TagBindingRecord): Json {
  return {
    id: binding.id,
    type: 'tag-bindings',
    attributes: { key: binding.key, value: binding.value, 'created-at': isoTime(binding.createdAt) },
  };
}

/** projects.mdx sample response. */
export function serializeProject(store: Store, project: ProjectRecord): Json {
  return {
    id: project.id,
    type: 'projects',
    attributes: {
      name: project.name,
      permissions: { 'can-update': true, 'can-destroy': true, 'can-create-workspace': true },
    },
    relationships: {
      organization: {
        data: ref('organizations', store.organization),
        links: { related: `/api/v2/organizations/${store.organization}` },
      },
    },
    links: { self: `/api/v2/projects/${project.id}` },
  };
}

/** variable-sets.mdx "Show Variable Set" sample, with the workspaces, projects and vars it holds. */
export function serializeVariableSet(store: Store, set: VariableSetRecord): Json {
  return {
    id: set.id,
    type: 'varsets',
    attributes: {
      name: set.name,
      description: set.description,
      global: set.global,
      'updated-at': isoTime(set.updatedAt),
      'var-count': set.variables.length,
      'workspace-count': set.workspaceIds.size,
    },
    relationships: {
      organization: { data: ref('organizations', store.organization) },
      vars: { data: set.variables.map((v) => ref('vars', v.id)) },
      workspaces: { data: [...set.workspaceIds].map((id) => ref('workspaces', id)) },
      projects: { data: [...set.projectIds].map((id) => ref('projects', id)) },
    },
  };
}

/** A variable of a variable set (variable-sets.mdx "Add Variable"); sensitive values come back null. */
export function serializeSetVariable(set: VariableSetRecord, variable: VariableRecord): Json {
  return {
    id: variable.id,
    type: 'vars',
    attributes: {
      key: variable.key,
      value: variable.sensitive ? null : variable.value,
      description: variable.description,
      sensitive: variable.sensitive,
      category: variable.category,
      hcl: variable.hcl,
      'created-at': isoTime(variable.createdAt),
      'version-id': variable.versionId,
    },
    relationships: {
      varset: { data: ref('varsets', set.id), links: { related: `/api/v2/varsets/${set.id}` } },
    },
    links: { self: `/api/v2/varsets/${set.id}/relationships/vars/${variable.id}` },
  };
}

/**
 * notification-configurations.mdx "Sample response": the token is write-only and always shown as null;
 * `delivery-responses` holds the most recent answer of the destination (strings, as in the samples).
 */
export function serializeNotificationConfiguration(nc: NotificationConfigurationRecord): Json {
  return {
    id: nc.id,
    type: 'notification-configurations',
    attributes: {
      enabled: nc.enabled,
      name: nc.name,
      url: nc.url,
      'destination-type': nc.destinationType,
      token: null,
      triggers: [...nc.triggers],
      'delivery-responses': nc.deliveryResponses.map((r) => ({
        url: r.url,
        body: r.body,
        code: r.code,
        headers: r.headers,
        'sent-at': new Date(r.sentAt)
          .toISOString()
          .replace('T', ' ')
          .replace(/\.\d{3}Z$/, ' UTC'),
        successful: String(r.successful),
      })),
      'created-at': isoTime(nc.createdAt),
      'updated-at': isoTime(nc.updatedAt),
    },
    relationships: { subscribable: { data: ref(nc.subscribable.type, nc.subscribable.id) } },
    links: { self: `/api/v2/notification-configurations/${nc.id}` },
  };
}
