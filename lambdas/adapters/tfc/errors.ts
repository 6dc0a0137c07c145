/**
 * Every error the Terraform Cloud adapter raises. `retryable` tells a flow whether the same call may
 * succeed later (rate limit, 5xx, network, "still processing"); everything else needs a person or a
 * different request. Their text can hold what TFC wrote in an error body: it is scrubbed (scrub.ts) where
 * it leaves the adapter, at the Terraform backend.
 */

interface TfcErrorOptions {
  retryable?: boolean;
  cause?: unknown;
}

/** Base class of the adapter's errors. */
export class TfcError extends Error {
  public readonly retryable: boolean;

  public constructor(message: string, options: TfcErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TfcError';
    this.retryable = options.retryable ?? false;
  }
}

/** One JSON:API error object; TFC sends `status` as a string or a number. */
export interface JsonApiErrorObject {
  status?: string | number;
  title?: string;
  detail?: string;
}

/** Where a failed request went: method and path only (never the query string's secrets or an upload URL). */
export interface RequestLabel {
  method: string;
  path: string;
}

function describe(errors: readonly JsonApiErrorObject[]): string {
  const parts = errors.map((e) => [e.title, e.detail].filter(Boolean).join(': ')).filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : 'no error detail';
}

/** TFC answered with a non-2xx status. */
export class TfcApiError extends TfcError {
  public readonly method: string;
  public readonly path: string;
  public readonly status: number;
  public readonly title: string | undefined;
  public readonly detail: string | undefined;
  public readonly errors: readonly JsonApiErrorObject[];

  public constructor(
    request: RequestLabel,
    status: number,
    errors: readonly JsonApiErrorObject[],
    message?: string,
  ) {
    super(message ?? `TFC ${request.method} ${request.path} answered ${status}: ${describe(errors)}`, {
      retryable: status === 429 || status >= 500,
    });
    this.name = 'TfcApiError';
    this.method = request.method;
    this.path = request.path;
    this.status = status;
    this.errors = errors;
    this.title = errors[0]?.title;
    this.detail = errors[0]?.detail;
  }

  /** True when any error object's detail (or title) matches, e.g. `/name has already been taken/i`. */
  public mentions(pattern: RegExp): boolean {
    return this.errors.some((e) => pattern.test(e.detail ?? '') || pattern.test(e.title ?? ''));
  }
}

/**
 * 404. TFC also answers 404 (not 403) when a valid token lacks permission, so the two cannot be told
 * apart (api-docs/index.mdx, "Authentication" and "Response codes").
 */
export class TfcNotFoundError extends TfcApiError {
  public constructor(request: RequestLabel, errors: readonly JsonApiErrorObject[]) {
    super(
      request,
      404,
      errors,
      `TFC ${request.method} ${request.path}: not found or no permission (TFC answers 404 for both)`,
    );
    this.name = 'TfcNotFoundError';
  }
}

/** 401: the token is missing, invalid or expired. */
export class TfcUnauthorizedError extends TfcApiError {
  public constructor(request: RequestLabel, errors: readonly JsonApiErrorObject[]) {
    super(
      request,
      401,
      errors,
      `TFC ${request.method} ${request.path}: token missing, invalid or expired (401)`,
    );
    this.name = 'TfcUnauthorizedError';
  }
}

/** 422 "Name has already been taken" on workspace creation; the client turns it into a fetch. */
export class TfcNameTakenError extends TfcApiError {
  public constructor(source: TfcApiError) {
    super(source, source.status, source.errors);
    this.name = 'TfcNameTakenError';
  }
}

/** 422 "Configuration version is missing": the workspace never received an uploaded configuration. */
export class ConfigurationVersionMissingError extends TfcApiError {
  public constructor(source: TfcApiError) {
    super(
      source,
      source.status,
      source.errors,
      `TFC ${source.method} ${source.path}: configuration version is missing; upload one before starting a run`,
    );
    this.name = 'ConfigurationVersionMissingError';
  }
}

/** 429, 5xx or network failures kept happening until the retry budget ran out. */
export class TfcRetriesExhaustedError extends TfcError {
  public readonly method: string;
  public readonly path: string;
  public readonly attempts: number;
  /** The last HTTP status, or undefined when the last attempt failed at the network level. */
  public readonly lastStatus: number | undefined;

  public constructor(
    request: RequestLabel,
    attempts: number,
    lastStatus: number | undefined,
    cause: unknown,
  ) {
    const last = lastStatus === undefined ? 'a network error' : `status ${lastStatus}`;
    // Unreachable: the network error itself (code, address) says more than the request that met it.
    const message =
      cause instanceof TfcNetworkError
        ? `TFC unreachable: ${cause.detail} after ${attempts} attempts (${request.method} ${request.path}${cause.host ? ` at ${cause.host}` : ''})`
        : `TFC ${request.method} ${request.path} still failing after ${attempts} attempts (last: ${last})`;
    super(message, { retryable: true, cause });
    this.name = 'TfcRetriesExhaustedError';
    this.method = request.method;
    this.path = request.path;
    this.attempts = attempts;
    this.lastStatus = lastStatus;
  }
}

/** The request failed below HTTP (DNS, connect, reset, timeout). */
export class TfcNetworkError extends TfcError {
  public readonly method: string;
  public readonly path: string;
  public readonly code: string | undefined;
  /** The transport's own words with the code, e.g. `connect ECONNREFUSED 127.0.0.1:9` (secrets removed). */
  public readonly detail: string;
  /** Host (and port) the request went to. */
  public readonly host: string | undefined;

  /** @param cause the transport error, already stripped of secrets (its message becomes `detail`). */
  public constructor(request: RequestLabel, code: string | undefined, cause: unknown, host?: string) {
    const said = cause instanceof Error ? cause.message : '';
    const detail =
      said === ''
        ? (code ?? 'unknown error')
        : code === undefined || said.includes(code)
          ? said
          : `${said} (${code})`;
    super(
      `TFC ${request.method} ${request.path}${host ? ` at ${host}` : ''} failed at the network level: ${detail}`,
      { retryable: true, cause },
    );
    this.name = 'TfcNetworkError';
    this.method = request.method;
    this.path = request.path;
    this.code = code;
    this.detail = detail;
    this.host = host;
  }
}

/** A 2xx body did not have the documented shape; only zod's issue paths are kept, never the values. */
export class TfcResponseValidationError extends TfcError {
  public constructor(request: RequestLabel, issues: readonly string[]) {
    super(`TFC ${request.method} ${request.path} returned an unexpected body: ${issues.join('; ')}`);
    this.name = 'TfcResponseValidationError';
  }
}

/** The token provider could not produce a token. */
export class TfcTokenUnavailableError extends TfcError {
  public constructor(message: string, options: TfcErrorOptions = {}) {
    super(message, { retryable: options.retryable ?? true, cause: options.cause });
    this.name = 'TfcTokenUnavailableError';
  }
}

/** The workspace does not carry the control plane's managed-by tag (or belongs to another tenant). */
export class UnmanagedWorkspaceError extends TfcError {
  public constructor(
    public readonly workspace: string,
    reason: string,
  ) {
    super(`refusing to touch TFC workspace '${workspace}': ${reason}`);
    this.name = 'UnmanagedWorkspaceError';
  }
}

/**
 * Safe delete answered 409, for one of three reasons (go-tfe errors.go: `ErrWorkspaceLockedCannotDelete`,
 * `ErrWorkspaceStillProcessing`, `ErrWorkspaceNotSafeToDelete`): `locked` (a run holds the workspace:
 * wait for the queue), `processing` (the new state is still processed: retry) — both retryable — or
 * `resources` (it still manages resources: a person must look).
 */
export class WorkspaceNotSafeToDeleteError extends TfcError {
  public readonly reason: 'locked' | 'processing' | 'resources';

  public constructor(
    public readonly workspaceId: string,
    cause: TfcApiError,
  ) {
    const reason = cause.mentions(/locked/i)
      ? 'locked'
      : cause.mentions(/being processed|processing/i)
        ? 'processing'
        : 'resources';
    const why = {
      locked: 'it is locked by a run; waiting for its queue',
      processing: 'its latest state is still being processed; will retry',
      resources: `it still manages resources (${cause.detail ?? 'no detail'}); look at its state`,
    }[reason];
    super(`TFC workspace ${workspaceId} is not safe to delete: ${why} (409)`, {
      retryable: reason !== 'resources',
      cause,
    });
    this.name = 'WorkspaceNotSafeToDeleteError';
    this.reason = reason;
  }
}

/** TFC could not process an uploaded configuration version (status `errored`). */
export class ConfigurationVersionErroredError extends TfcError {
  public constructor(
    public readonly configurationVersionId: string,
    reason: string | undefined,
  ) {
    super(`TFC configuration version ${configurationVersionId} errored: ${reason ?? 'no reason given'}`);
    this.name = 'ConfigurationVersionErroredError';
  }
}

/** The configuration version did not reach `uploaded` within the polling budget. */
export class ConfigurationVersionTimeoutError extends TfcError {
  public constructor(
    public readonly configurationVersionId: string,
    lastStatus: string,
  ) {
    super(`TFC configuration version ${configurationVersionId} still '${lastStatus}' after polling`, {
      retryable: true,
    });
    this.name = 'ConfigurationVersionTimeoutError';
  }
}

/** The module directory cannot be archived (symlink, over-long path, not a directory). */
export class ModuleArchiveError extends TfcError {
  public constructor(message: string, options: TfcErrorOptions = {}) {
    super(message, options);
    this.name = 'ModuleArchiveError';
  }
}
