/** The fake's internal state: one record per TFC resource. Handlers never expose these directly. */
import type { FakeRunStatus, UploadOutcome } from './types';

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
  createdAt: number;
}

/** A run's resolved fate, fixed when it starts planning. */
export interface ResolvedOutcome {
  status: Exclude<FakeRunStatus, 'pending' | 'planning' | 'planned' | 'applying'>;
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
}
