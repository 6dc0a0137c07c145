import type { Dispatcher } from 'undici';
// The two parts of undici the client uses, imported from their own files: undici's entry point also loads
// fetch, WebSocket, EventSource, the cache stores and the mock API, which no function calls (about 235 KiB
// of the 525 it adds to a bundle, and most of its cold import time; README "Function bundles").
import Agent from 'undici/lib/dispatcher/agent.js';
import requestOn from 'undici/lib/api/api-request.js';

export { Agent };

/**
 * undici's `request(url, options)` on `dispatcher`: the call its entry point makes (origin and path taken
 * from the URL), without loading the entry point.
 */
export function request(
  dispatcher: Dispatcher,
  url: URL,
  options: Omit<Dispatcher.RequestOptions, 'origin' | 'path'>,
): Promise<Dispatcher.ResponseData> {
  return requestOn.call(dispatcher, { ...options, origin: url.origin, path: `${url.pathname}${url.search}` });
}
