// Types of the two undici files the TFC client imports directly (see transport.ts): the same classes and
// function undici's entry point exports, which its own types describe.
declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';
  export = Agent;
}

declare module 'undici/lib/api/api-request.js' {
  import type { Dispatcher } from 'undici';
  /** Dispatcher.request: sends one request on `this` dispatcher and resolves with its answer. */
  function request(this: Dispatcher, options: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
  export = request;
}
