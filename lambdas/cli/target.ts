import { isIP } from 'node:net';
import type { GlobalOptions } from './args';
import { UsageError } from './errors';

/** The local control plane that `npm start` serves. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4000';

/** Where requests go and whether they are signed. */
export interface Target {
  /** The endpoint, stage path (if any) included. */
  baseUrl: URL;
  /** Sent as `Host` and signed instead of the endpoint's host name. */
  hostHeader?: string;
  /** Present when requests are signed with SigV4 for `execute-api`. */
  signing?: { region: string };
  /** Whether the endpoint is this machine (the local control plane). */
  loopback: boolean;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** `<api-id>[-<vpce-id>].execute-api.<region>.amazonaws.com` and `vpce-….execute-api.<region>.vpce.amazonaws.com`. */
const EXECUTE_API_HOST = /\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.(?:vpce\.)?amazonaws\.com(?:\.cn)?$/;

/** Resolves flags and environment into a {@link Target}; a bad endpoint or unknown region is a usage error. */
export function resolveTarget(options: GlobalOptions, env: Env): Target {
  const baseUrl = parseEndpoint(options.endpoint ?? nonEmpty(env.TENANTCTL_ENDPOINT) ?? DEFAULT_ENDPOINT);
  const hostHeader = options.hostHeader ?? nonEmpty(env.TENANTCTL_HOST_HEADER);
  const loopback = isLoopback(baseUrl.hostname);
  const target: Target = { baseUrl, loopback, ...(hostHeader ? { hostHeader } : {}) };
  if (loopback && !options.sigv4) return target;
  const region = options.region ?? regionOf(hostHeader ?? baseUrl.hostname) ?? regionFromEnv(env);
  if (!region) {
    throw new UsageError(
      `cannot tell which region ${hostHeader ?? baseUrl.hostname} is in: pass --region or set AWS_REGION`,
    );
  }
  return { ...target, signing: { region } };
}

/** The endpoint as an operator writes it: origin and stage, no trailing slash. */
export function endpointText(target: Target): string {
  return `${target.baseUrl.origin}${stagePath(target)}`;
}

/** The path every API route hangs under (`/prod` for a stage, empty for the local server). */
export function stagePath(target: Target): string {
  return target.baseUrl.pathname.replace(/\/+$/, '');
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function parseEndpoint(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`invalid endpoint '${raw}': use a URL such as ${DEFAULT_ENDPOINT}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`invalid endpoint '${raw}': use an http:// or https:// URL`);
  }
  if (url.search || url.hash) throw new UsageError(`invalid endpoint '${raw}': no query or fragment`);
  return url;
}

/** `localhost`, 127.0.0.0/8 and ::1 (URL keeps IPv6 hosts in brackets). */
export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/** The region in an `execute-api` host name, if it is one. */
export function regionOf(hostname: string): string | undefined {
  return EXECUTE_API_HOST.exec(hostname.toLowerCase())?.[1];
}

function regionFromEnv(env: Env): string | undefined {
  return nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION);
}
