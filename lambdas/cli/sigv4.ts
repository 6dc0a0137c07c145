import type { SignatureV4 } from '@smithy/signature-v4';
import { CredentialsError } from './errors';

/** The shape of `fromNodeProviderChain()` (and of a static test provider). */
export type CredentialsProvider = () => Promise<{
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}>;

/** A request about to be sent; `headers` must already hold `host`. */
export interface OutgoingRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/** Returns the headers to send: the given ones plus whatever authenticates the request. */
export type Signer = (request: OutgoingRequest) => Promise<Record<string, string>>;

/** Sends requests as they are (the local control plane does not authenticate). */
export const unsigned: Signer = (request) => Promise.resolve(request.headers);

/**
 * Signs for API Gateway (`execute-api`) the way a private REST API with IAM auth expects: Authorization,
 * X-Amz-Date, X-Amz-Content-Sha256 and, for temporary credentials, X-Amz-Security-Token.
 */
export function sigV4Signer(region: string, credentials: CredentialsProvider): Signer {
  let signer: SignatureV4 | undefined;
  return async ({ method, url, headers, body }) => {
    signer ??= await createSignatureV4(region, credentials);
    try {
      const signed = await signer.sign({
        method,
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        // Already percent-encoded once by URL; the signer encodes it again, as SigV4 wants for every
        // service but S3.
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { ...headers },
        ...(body === undefined ? {} : { body }),
      });
      return signed.headers;
    } catch (error) {
      throw new CredentialsError({ cause: error });
    }
  };
}

/** Loaded on first use, so talking to the local control plane does not pay for the AWS libraries. */
async function createSignatureV4(region: string, credentials: CredentialsProvider): Promise<SignatureV4> {
  const [{ SignatureV4 }, { Sha256 }] = await Promise.all([
    import('@smithy/signature-v4'),
    import('@aws-crypto/sha256-js'),
  ]);
  return new SignatureV4({ service: 'execute-api', region, credentials, sha256: Sha256 });
}

/**
 * The standard AWS chain (environment, SSO, profile, the admin host's instance role…), loaded on the first
 * signed request only, so talking to the local control plane never pays for it.
 */
export function nodeProviderChain(): CredentialsProvider {
  let chain: CredentialsProvider | undefined;
  return async () => {
    if (!chain) {
      const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
      chain = fromNodeProviderChain();
    }
    return chain();
  };
}
