import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { TfcError, TfcTokenUnavailableError } from './errors';

/** Produces the TFC API token on demand. Implementations cache; callers never store or log the value. */
export type TokenProvider = () => Promise<string>;

export interface SecretsManagerTokenOptions {
  /** Name or ARN of the secret whose SecretString is the token. */
  secretId: string;
  /** Seconds a fetched token is reused before Secrets Manager is asked again. @default 300 */
  maxAgeSeconds?: number;
  /**
   * The Powertools provider to read through (build it once with its own `awsSdkV3Client`).
   * @default Powertools' shared provider, through `getSecret`
   */
  provider?: Pick<SecretsProvider, 'get'>;
  /** What the secret holds, in error messages. @default 'TFC token' */
  what?: string;
}

export const DEFAULT_TOKEN_MAX_AGE_SECONDS = 300;

/**
 * The provider's token for one request. An empty token, or a provider failing with anything but the
 * adapter's own errors, becomes a {@link TfcTokenUnavailableError}.
 */
export async function readToken(provider: TokenProvider): Promise<string> {
  try {
    const token = await provider();
    if (token === '') throw new TfcTokenUnavailableError('TFC token provider returned an empty token');
    return token;
  } catch (error) {
    if (error instanceof TfcError) throw error;
    throw new TfcTokenUnavailableError('TFC token provider failed', { cause: error });
  }
}

/** Token (the TFC API token, or the notification HMAC token) from Secrets Manager, cached in memory for `maxAgeSeconds` by Powertools Parameters. */
export function secretsManagerTokenProvider(options: SecretsManagerTokenOptions): TokenProvider {
  const { secretId, provider } = options;
  const what = options.what ?? 'TFC token';
  const maxAge = options.maxAgeSeconds ?? DEFAULT_TOKEN_MAX_AGE_SECONDS;
  const read = provider ? () => provider.get(secretId, { maxAge }) : () => getSecret(secretId, { maxAge });
  return async () => {
    let value: unknown;
    try {
      value = await read();
    } catch (error) {
      throw new TfcTokenUnavailableError(`could not read the ${what} from secret '${secretId}'`, {
        cause: error,
      });
    }
    if (typeof value !== 'string' || value.trim() === '') {
      throw new TfcTokenUnavailableError(`secret '${secretId}' does not hold a ${what} string`, {
        retryable: false,
      });
    }
    return value.trim();
  };
}

/** A fixed token, for local runs and tests. */
export function staticTokenProvider(token: string): TokenProvider {
  if (token.trim() === '') throw new TfcTokenUnavailableError('the TFC token is empty', { retryable: false });
  const value = token.trim();
  return () => Promise.resolve(value);
}

/** A fixed token read once from an environment variable (`TFC_TOKEN` by default); names it when missing. */
export function envTokenProvider(
  env: NodeJS.ProcessEnv = process.env,
  variable = 'TFC_TOKEN',
): TokenProvider {
  const token = env[variable];
  if (token === undefined || token.trim() === '') {
    throw new TfcTokenUnavailableError(`environment variable ${variable} is not set`, { retryable: false });
  }
  return staticTokenProvider(token);
}
