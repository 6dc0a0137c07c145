import type { TenantStatus } from './lifecycle';

/** Base class of every error the domain core raises; the API maps each subclass to one HTTP status. */
export class ControlPlaneError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ControlPlaneError';
  }
}

/** One invalid field of a request. `path` is the dotted field name (`variables.region`), empty for the body. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** The request is malformed: wrong JSON, unknown or mistyped fields, bad tenant code, oversize body. */
export class ValidationError extends ControlPlaneError {
  public constructor(
    message: string,
    public readonly issues: FieldIssue[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ValidationError';
  }
}

export class TenantNotFoundError extends ControlPlaneError {
  public constructor(public readonly tenantCode: string) {
    super(`tenant '${tenantCode}' does not exist`);
    this.name = 'TenantNotFoundError';
  }
}

/** The lifecycle forbids the request in the tenant's current status. */
export class TenantConflictError extends ControlPlaneError {
  public constructor(
    public readonly tenantCode: string,
    public readonly request: string,
    public readonly currentStatus: TenantStatus,
  ) {
    super(`cannot ${request} tenant '${tenantCode}' while it is ${currentStatus}`);
    this.name = 'TenantConflictError';
  }
}

export class RolloutNotFoundError extends ControlPlaneError {
  public constructor(public readonly rolloutId: string) {
    super(`rollout '${rolloutId}' does not exist`);
    this.name = 'RolloutNotFoundError';
  }
}

/** A rollout request the rollout's status (or another active rollout) forbids. */
export class RolloutConflictError extends ControlPlaneError {
  public constructor(message: string) {
    super(message);
    this.name = 'RolloutConflictError';
  }
}

/** A flow tried to write a tenant row that no longer carries its flowId: a newer flow owns the tenant. */
export class FlowSupersededError extends ControlPlaneError {
  public constructor(
    public readonly tenantCode: string,
    public readonly flowId: string,
  ) {
    super(`flow ${flowId} no longer owns tenant '${tenantCode}'`);
    this.name = 'FlowSupersededError';
  }
}

/** A decommission found the tenant's date moved or cleared since the sweep read it: nothing is deleted. */
export class DecommissionNotDueError extends ControlPlaneError {
  public constructor(
    public readonly tenantCode: string,
    public readonly dueBy: string,
  ) {
    super(`tenant '${tenantCode}' is no longer due for decommission on ${dueBy}`);
    this.name = 'DecommissionNotDueError';
  }
}

/** The same Idempotency-Key was sent again with a different request. */
export class IdempotencyKeyReusedError extends ControlPlaneError {
  public constructor() {
    super('Idempotency-Key was already used for a different request');
    this.name = 'IdempotencyKeyReusedError';
  }
}

/** A request with the same Idempotency-Key is still being processed. */
export class IdempotencyInProgressError extends ControlPlaneError {
  public constructor() {
    super('a request with this Idempotency-Key is still in progress; retry shortly');
    this.name = 'IdempotencyInProgressError';
  }
}

/** The request was accepted but its flow could not be started; the tenant row was restored. */
export class FlowStartError extends ControlPlaneError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FlowStartError';
  }
}

/**
 * A failure the same call may get past later (rate limit, 5xx, throttling). The flow's Retry matches this
 * name; anything else goes straight to Finalize.
 */
export class TransientError extends ControlPlaneError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/**
 * Whether an error is worth retrying: ours, or any adapter error flagged `retryable` (the TFC client's),
 * or an AWS SDK error the SDK itself marks retryable (throttling, 5xx).
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof TransientError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const flags = error as {
    retryable?: unknown;
    $retryable?: unknown;
    $metadata?: { httpStatusCode?: number };
  };
  if (flags.retryable === true || flags.$retryable !== undefined) return true;
  return (flags.$metadata?.httpStatusCode ?? 0) >= 500;
}

/**
 * A flow cannot finish for a reason a person must look at; `failureCode` becomes the tenant's
 * `lastError.code` (e.g. `WorkspaceNotVisible`).
 */
export class FlowFailureError extends ControlPlaneError {
  public constructor(
    public readonly failureCode: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'FlowFailureError';
  }
}

/**
 * Terraform Cloud answers 404 for "not found" and for "not permitted" alike: the workspace could not be
 * read, and that it is gone could not be shown.
 */
export class WorkspaceNotVisibleError extends FlowFailureError {
  public constructor(message: string, options?: ErrorOptions) {
    super('WorkspaceNotVisible', message, options);
    this.name = 'WorkspaceNotVisibleError';
  }
}

/** A successful apply left outputs this token cannot read (404: not found or not permitted). */
export class OutputsNotVisibleError extends FlowFailureError {
  public constructor(message: string, options?: ErrorOptions) {
    super('OutputsNotVisible', message, options);
    this.name = 'OutputsNotVisibleError';
  }
}

/** The `lastError.code` for an error: its failure code when it has one, else its name. */
export function failureCodeOf(error: unknown): string {
  if (error instanceof FlowFailureError) return error.failureCode;
  return error instanceof Error ? error.name : 'FlowError';
}
