/** The fake's internal state: one record per TFC resource. Handlers never expose these directly. */
import type { FakeRunStatus, NeedsAttentionStatus, UploadOutcome } from './types';

export interface VariableRecord {
  id: string;
  workspaceId: string;
  key: string;
  value: string;
  description: string | null;
  category: 'terraform' | 'env';
  hcl: boolean;
  sensitive: boolean;
  /** workspace-variables.mdx `version-id`: changes on every update. */
  versionId: string;
  createdAt: number;
}

export interface TagBindingRecord {
  id: string;
  key: string;
  value: string;
  createdAt: number;
}

export interface OutputRecord {
  id: string;
  name: string;
  sensitive: boolean;
  type: string;
  detailedType: unknown;
  value: unknown;
}

export interface StateVersionRecord {
  id: string;
  workspaceId: string;
  serial: number;
  createdAt: number;
  outputs: OutputRecord[];
  resourceCount: number;
  /** Until then outputs answer 503 (state-version-outputs.mdx) and safe-delete 409. */
  processedAt: number;
  /** What was applied (configuration + variables); undefined after a destroy. */
  fingerprint: string | undefined;
}

export interface WorkspaceRecord {
  id: string;
  name: string;
  /** projects.mdx: every workspace is in exactly one project (the default one unless named). */
  projectId: string;
  /** Tokens this workspace answers 404 to (index.mdx: 404 for resources the user may not see). */
  hiddenFrom: Set<string>;
  description: string | null;
  autoApply: boolean;
  createdAt: number;
  updatedAt: number;
  latestChangeAt: number;
  tagNames: string[];
  tagBindings: TagBindingRecord[];
  variables: VariableRecord[];
  runIds: string[];
  /** Index of the first run not yet settled, and when the run before it finished. */
  queue: { next: number; freeAt: number };
  configurationVersionIds: string[];
  currentConfigurationVersionId: string | undefined;
  currentStateVersionId: string | undefined;
}

export interface ConfigurationVersionRecord {
  id: string;
  workspaceId: string;
  autoQueueRuns: boolean;
  speculative: boolean;
  /** The archivist object secret of the one-time upload URL. */
  uploadSecret: string;
  upload: Buffer | undefined;
  uploadedAt: number | undefined;
  uploadOutcome: UploadOutcome | undefined;
  /** configuration-versions.mdx "Archive a Configuration Version": the files are discarded. */
  archivedAt: number | undefined;
  createdAt: number;
}

export interface ProjectRecord {
  id: string;
  name: string;
  createdAt: number;
}

/** variable-sets.mdx: variables applied to the workspaces (or projects) it names, or to all if global. */
export interface VariableSetRecord {
  id: string;
  name: string;
  description: string;
  global: boolean;
  workspaceIds: Set<string>;
  projectIds: Set<string>;
  variables: VariableRecord[];
  updatedAt: number;
}

/** A run's resolved fate, fixed when it starts planning. */
export interface ResolvedOutcome {
  /** Where the run ends once nothing stops it (after a confirmation, for a run that halts). */
  status: Exclude<FakeRunStatus, 'pending' | 'planning' | 'applying' | NeedsAttentionStatus>;
  /** Where the run stops after its plan to wait for a person; it moves on only through an action. */
  halt: NeedsAttentionStatus | undefined;
  message: string | undefined;
  phase: 'plan' | 'apply';
  hasChanges: boolean;
}

export interface RunInterruption {
  status: 'discarded' | 'canceled';
  at: number;
  /** The status the run had when interrupted. */
  from: FakeRunStatus;
}

export interface RunRecord {
  id: string;
  planId: string;
  applyId: string;
  workspaceId: string;
  workspaceName: string;
  configurationVersionId: string;
  createdAt: number;
  message: string;
  source: string;
  isDestroy: boolean;
  autoApply: boolean;
  planOnly: boolean;
  refresh: boolean;
  refreshOnly: boolean;
  targetAddrs: string[] | null;
  replaceAddrs: string[] | null;
  runVariables: { key: string; value: string }[];
  /** Terraform-category variables (run variables applied on top) when queued. */
  terraformVariables: Record<string, string>;
  envVariables: Record<string, string>;
  /** Hash of configuration + variables; equal to the state's means "no changes". */
  fingerprint: string;
  durationMs: number;
  startedAt: number | undefined;
  outcome: ResolvedOutcome | undefined;
  confirmedAt: number | undefined;
  interruption: RunInterruption | undefined;
  /** A run variable that is not an HCL literal: the plan fails with this message. */
  variableError: string | undefined;
}

/** The most recent answer of a notification's destination (notification-configurations.mdx). */
export interface DeliveryResponseRecord {
  url: string;
  body: string;
  code: string;
  headers: Record<string, string[]>;
  sentAt: number;
  successful: boolean;
}

/**
 * notification-configurations.mdx (workspace) and notification-configurations/project.mdx: a
 * destination, the triggers it listens to and its write-only token, subscribed to a workspace or to
 * every workspace of a project.
 */
export interface NotificationConfigurationRecord {
  id: string;
  subscribable: { type: 'workspaces' | 'projects'; id: string };
  name: string;
  destinationType: 'generic' | 'email' | 'slack' | 'microsoft-teams';
  url: string | null;
  /** Write-only: never serialized (the docs' answers show `"token": null`). */
  token: string | null;
  triggers: string[];
  enabled: boolean;
  deliveryResponses: DeliveryResponseRecord[];
  createdAt: number;
  updatedAt: number;
}
