import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RolloutView } from '../../../lambdas/cli/rollout';
import { CreateRolloutSchema, ROLLOUT_ID_PATTERN } from '../../../lambdas/core/rollout';

/** A rollout as the API shows it: running, 30 tenants, nothing done yet, unless overridden. */
export function rolloutView(overrides: Partial<RolloutView> = {}): RolloutView {
  return {
    rolloutId: 'ro-20300101t100000-3fa9c1',
    status: 'running',
    moduleVersion: 'v2+0123456789ab',
    selector: {},
    maxConcurrent: 5,
    canary: 1,
    maxFailures: 0,
    counts: { total: 30, pending: 30, inProgress: 0, succeeded: 0, failed: 0, skipped: 0 },
    failures: [],
    skipped: [],
    haltReason: null,
    requestedBy: 'api:arn:aws:iam::123456789012:role/ops',
    createdAt: '2030-01-01T10:00:00.000Z',
    startedAt: '2030-01-01T10:00:00.000Z',
    updatedAt: '2030-01-01T10:00:00.000Z',
    endedAt: null,
    ...overrides,
  };
}

/** `counts` with `done` split into succeeded/failed/skipped and the rest pending. */
export function counts(
  total: number,
  c: { succeeded?: number; failed?: number; skipped?: number; inProgress?: number },
): RolloutView['counts'] {
  const { succeeded = 0, failed = 0, skipped = 0, inProgress = 0 } = c;
  return {
    total,
    pending: total - succeeded - failed - skipped - inProgress,
    inProgress,
    succeeded,
    failed,
    skipped,
  };
}

const ID = new RegExp(`^/rollouts/(${ROLLOUT_ID_PATTERN.source.slice(1, -1)})(?:/(pause|resume|cancel))?$`);

export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The raw body; '' when none was sent. */
  text: string;
}

/** An HTTP answer, or `drop`: the connection closed with no answer, as when the server goes away. */
export type Answer = { status: number; body: unknown } | 'drop';

/**
 * A small local HTTP server that answers the rollout API's routes from scripts, validating requests with
 * the API's own schema: each route answers
 * its scripted answers in order, repeating the last one (a rollout that stays as it is); an answer may
 * also be a dropped connection. A rollout id
 * nobody scripted is `404 ROLLOUT_NOT_FOUND`; an action with a body, a bad `POST /rollouts` body or an
 * unknown route is a `400`/`404` as the API answers them. Every request is recorded.
 */
export class RolloutApi {
  public readonly requests: SeenRequest[] = [];
  private readonly scripts = new Map<string, Answer[]>();
  private server: Server | undefined;

  /** Scripts `METHOD path` (path with its query) to answer each of `answers` in turn. */
  public on(method: string, path: string, ...answers: Answer[]): this {
    this.scripts.set(`${method} ${path}`, answers);
    return this;
  }

  /** `GET /rollouts/{id}` answers these views in turn, the last one from then on. */
  public views(...views: RolloutView[]): this {
    const id = views[0]?.rolloutId ?? '';
    return this.on('GET', `/rollouts/${id}`, ...views.map((body) => ({ status: 200, body })));
  }

  public async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  public async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The JSON bodies of the requests made to `METHOD path`. */
  public bodies(method: string, path: string): unknown[] {
    return this.requests
      .filter((r) => r.method === method && r.path === path)
      .map((r) => (r.text === '' ? undefined : (JSON.parse(r.text) as unknown)));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += String(chunk);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    this.requests.push({ method, path, headers: req.headers, text });
    const answer = this.answer(method, path, text);
    if (answer === 'drop') {
      req.socket.destroy();
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer.body));
  }

  private answer(method: string, path: string, text: string): Answer {
    const route = path.split('?')[0] ?? path;
    if (method === 'POST' && route === '/rollouts') {
      const parsed = CreateRolloutSchema.safeParse(text === '' ? {} : JSON.parse(text));
      if (!parsed.success) {
        const details = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
        return error(400, 'VALIDATION_ERROR', 'the request is not valid', details);
      }
    }
    const action = ID.exec(route);
    if (action?.[2] && text !== '') return error(400, 'VALIDATION_ERROR', 'this request takes no body');
    const script = this.scripts.get(`${method} ${path}`);
    if (script?.length) return script.length > 1 ? (script.shift() as Answer) : (script[0] as Answer);
    if (action?.[1]) return error(404, 'ROLLOUT_NOT_FOUND', `rollout '${action[1]}' does not exist`);
    return error(404, 'NOT_FOUND', `no route for ${method} ${route}`);
  }
}

function error(status: number, code: string, message: string, details?: unknown): Exclude<Answer, 'drop'> {
  return { status, body: { error: { code, message, ...(details === undefined ? {} : { details }) } } };
}
