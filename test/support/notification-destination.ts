/** A notification destination for tests: a real HTTP server that records every request and answers `status`. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedNotification {
  headers: Record<string, string | string[] | undefined>;
  /** The raw body, as signed. */
  body: string;
  json: Record<string, unknown> & { notifications: Record<string, unknown>[] };
}

/** A receiver behind the destination: gets the raw body and signature, gives the status and body. */
export type NotificationHandler = (
  body: Buffer,
  signature: string | undefined,
) => Promise<{ statusCode: number; body: string }>;

export class NotificationDestination {
  public readonly received: ReceivedNotification[] = [];
  /** What the destination answers (TFC wants a 2xx) when no handler is set. */
  public status = 200;
  private server: Server | undefined;

  /** @param handler the receiver that answers each request (default: record and answer `status`). */
  public constructor(private readonly handler?: NotificationHandler) {}

  public async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = raw.toString('utf8');
        this.received.push({
          headers: req.headers,
          body,
          json: JSON.parse(body) as ReceivedNotification['json'],
        });
        if (!this.handler) {
          res.statusCode = this.status;
          res.end('ok');
          return;
        }
        const signature = req.headers['x-tfe-notification-signature'];
        void this.handler(raw, typeof signature === 'string' ? signature : undefined).then(
          (answer) => {
            res.statusCode = answer.statusCode;
            res.end(answer.body);
          },
          () => {
            res.statusCode = 500;
            res.end();
          },
        );
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  public get url(): string {
    return `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}/hook`;
  }

  /** Requests other than verification requests. */
  public runNotifications(): ReceivedNotification[] {
    return this.received.filter((r) => r.json.notifications[0]?.trigger !== 'verification');
  }

  public verifications(): ReceivedNotification[] {
    return this.received.filter((r) => r.json.notifications[0]?.trigger === 'verification');
  }

  public close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return Promise.resolve();
    return new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
