import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { mockClient } from 'aws-sdk-client-mock';
import { TfcTokenUnavailableError } from '../../../../lambdas/adapters/tfc/errors';
import {
  envTokenProvider,
  secretsManagerTokenProvider,
  staticTokenProvider,
} from '../../../../lambdas/adapters/tfc/token';

const SECRET_ID = 'tenant-control-plane/tfc-token';
const START = new Date('2026-01-01T00:00:00Z');

const sdk = new SecretsManagerClient({ region: 'eu-west-1' });
const sm = mockClient(sdk);

beforeEach(() => {
  sm.reset();
  jest.useFakeTimers({ now: START, doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
});
afterEach(() => {
  jest.useRealTimers();
});

function provider() {
  return secretsManagerTokenProvider({
    secretId: SECRET_ID,
    maxAgeSeconds: 300,
    provider: new SecretsProvider({ awsSdkV3Client: sdk }),
  });
}

describe('secretsManagerTokenProvider', () => {
  it('reads the token once and serves it from cache within the TTL', async () => {
    sm.on(GetSecretValueCommand, { SecretId: SECRET_ID }).resolves({ SecretString: 'token-one' });
    const token = provider();

    const first = await token();
    jest.setSystemTime(new Date(START.getTime() + 299_000));
    const second = await token();

    expect([first, second]).toEqual(['token-one', 'token-one']);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('asks Secrets Manager again once the TTL has passed (picks up a rotated token)', async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: 'token-one' })
      .resolves({ SecretString: 'token-two' });
    const token = provider();

    await token();
    jest.setSystemTime(new Date(START.getTime() + 301_000));
    const refreshed = await token();

    expect(refreshed).toBe('token-two');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it('reports an unreadable secret as a retryable TfcTokenUnavailableError', async () => {
    sm.on(GetSecretValueCommand).rejects(new Error('ThrottlingException'));

    const promise = provider()();

    await expect(promise).rejects.toThrow(TfcTokenUnavailableError);
    await expect(promise).rejects.toMatchObject({ retryable: true });
  });

  it('rejects a secret without a string value, without echoing it', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '   ' });

    const promise = provider()();

    await expect(promise).rejects.toMatchObject({ name: 'TfcTokenUnavailableError', retryable: false });
  });
});

describe('staticTokenProvider and envTokenProvider', () => {
  it('serve a fixed token', async () => {
    await expect(staticTokenProvider('abc')()).resolves.toBe('abc');
    await expect(envTokenProvider({ TFC_TOKEN: 'from-env' })()).resolves.toBe('from-env');
  });

  it('name the missing variable, never a value', () => {
    expect(() => envTokenProvider({}, 'TFC_TOKEN')).toThrow('environment variable TFC_TOKEN is not set');
    expect(() => staticTokenProvider('')).toThrow(TfcTokenUnavailableError);
  });
});
