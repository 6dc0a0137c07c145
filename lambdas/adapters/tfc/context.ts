import type { z } from 'zod';
import { TfcApiError } from './errors';
import { parseBody, type ApiRequest, type TfcHttp, type TfcLogger } from './http';

/** What every resource module of the client shares: the transport, the organization, logging, time. */
export interface TfcContext {
  readonly http: TfcHttp;
  readonly organization: string;
  readonly logger: TfcLogger | undefined;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Sends the request and validates its 2xx body against the documented shape. */
export async function requestJson<T>(ctx: TfcContext, req: ApiRequest, schema: z.ZodType<T>): Promise<T> {
  const res = await ctx.http.api(req);
  return parseBody({ method: req.method, path: req.path }, schema, res.body);
}

/** A path segment, escaped. */
export const seg = encodeURIComponent;

export function isUnprocessable(error: unknown, pattern: RegExp): error is TfcApiError {
  return error instanceof TfcApiError && error.status === 422 && error.mentions(pattern);
}
