import {
  AbortedError,
  ApiAnswerError,
  CliError,
  ConnectionError,
  CredentialsError,
  EXIT_CODES,
  UsageError,
} from '../../../lambdas/cli/errors';

describe('CLI errors', () => {
  it.each([
    [new UsageError('bad flag'), 'UsageError', EXIT_CODES.usage],
    [new AbortedError('aborted'), 'AbortedError', EXIT_CODES.usage],
    [new ApiAnswerError(409, 'TENANT_CONFLICT', 'busy'), 'ApiAnswerError', EXIT_CODES.api],
    [new ConnectionError('http://127.0.0.1:1', true), 'ConnectionError', EXIT_CODES.connect],
    [new CredentialsError(), 'CredentialsError', EXIT_CODES.connect],
  ])('%s is named %s and exits with its code', (error, name, exitCode) => {
    expect(error).toBeInstanceOf(CliError);
    expect(error.name).toBe(name);
    expect(error.exitCode).toBe(exitCode);
  });
});
