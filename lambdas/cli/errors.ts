/** The process exit codes of `tenantctl`, one per way a command can end. */
export const EXIT_CODES = {
  ok: 0,
  /** The tenant ended `failed` while the command waited for it. */
  tenantFailed: 1,
  /** The rollout halted (a failure too many) while the command waited for it. */
  rolloutHalted: 1,
  usage: 2,
  /** The API answered with an error. */
  api: 3,
  /** The API could not be reached (or no AWS credentials were found to sign for it). */
  connect: 4,
  /** `--wait` gave up before the tenant reached a terminal status. */
  timeout: 5,
  /** A defect in tenantctl itself (set by the executable when a command throws unexpectedly). */
  internal: 70,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** Base class of every error the CLI reports; each subclass carries its exit code. */
export class CliError extends Error {
  public constructor(
    message: string,
    public readonly exitCode: ExitCode,
    options?: ErrorOptions,
  ) {
    super(message, options);
    // tenantctl runs unbundled (tsx), so class names survive: every subclass is named after itself.
    this.name = new.target.name;
  }
}

/** Bad flags, missing arguments, an invalid tenant code: nothing was sent. */
export class UsageError extends CliError {
  public constructor(
    message: string,
    /** The command whose help the message points to; none for the tool itself. */
    public readonly command?: string,
  ) {
    super(message, EXIT_CODES.usage);
  }
}

/** The operator declined the delete confirmation. */
export class AbortedError extends CliError {
  public constructor(message: string) {
    super(message, EXIT_CODES.usage);
  }
}

/** An error answer from the API, as `{ error: { code, message, details? } }` or whatever the gateway sent. */
export class ApiAnswerError extends CliError {
  public constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly details?: unknown,
  ) {
    super(message, EXIT_CODES.api);
  }
}

/** No HTTP answer at all: refused, reset, DNS failure, timeout. */
export class ConnectionError extends CliError {
  public constructor(
    public readonly endpoint: string,
    public readonly loopback: boolean,
    options?: ErrorOptions,
  ) {
    super(`cannot connect to ${endpoint}`, EXIT_CODES.connect, options);
  }
}

/** The credential provider chain found nothing to sign with. */
export class CredentialsError extends CliError {
  public constructor(options?: ErrorOptions) {
    super('no AWS credentials to sign the request with', EXIT_CODES.connect, options);
  }
}
