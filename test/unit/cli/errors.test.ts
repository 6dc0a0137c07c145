import * as errors from '../../../lambdas/cli/errors';

const { EXIT_CODES } = errors;

describe('CLI errors', () => {
  it.each([
    [new errors.UsageError('bad flag'), 'UsageError', EXIT_CODES.usage],
    [new errors.AbortedError('aborted'), 'AbortedError', EXIT_CODES.usage],
    [new errors.ApiAnswerError(409, 'TENANT_CONFLICT', 'busy'), 'ApiAnswerError', EXIT_CODES.api],
    [new errors.ConnectionError('http://127.0.0.1:1', true), 'ConnectionError', EXIT_CODES.connect],
    [new errors.CredentialsError(), 'CredentialsError', EXIT_CODES.connect],
  ])('%s is named %s and exits with its code', (error, name, exitCode) => {
    expect(error).toBeInstanceOf(errors.CliError);
    expect(error.name).toBe(name);
    expect(error.exitCode).toBe(exitCode);
  });
});
