import { requestJson, seg, type TfcContext } from './context';
import { ConfigurationVersionErroredError, ConfigurationVersionTimeoutError } from './errors';
import { ConfigurationVersionDocument, CreatedConfigurationVersionDocument } from './resources';

export interface ConfigurationVersionPoll {
  attempts: number;
  intervalMs: number;
}

/** Configuration versions: create, upload, wait for `uploaded` (configuration-versions.mdx). */
export class ConfigurationVersionsApi {
  public constructor(
    private readonly ctx: TfcContext,
    private readonly poll: ConfigurationVersionPoll,
  ) {}

  /** Creates a configuration version (`auto-queue-runs: false`), uploads the tarball, waits for `uploaded`. */
  public async upload(workspaceId: string, tarball: Buffer): Promise<string> {
    const body = { data: { type: 'configuration-versions', attributes: { 'auto-queue-runs': false } } };
    const path = `/api/v2/workspaces/${seg(workspaceId)}/configuration-versions`;
    const created = await requestJson(
      this.ctx,
      { method: 'POST', path, body },
      CreatedConfigurationVersionDocument,
    );
    const { id } = created.data;
    await this.ctx.http.upload(created.data.attributes['upload-url'], tarball);
    await this.waitUntilUploaded(id);
    return id;
  }

  /** The configuration version's status (`pending`, `uploaded`, `archived`, `errored`, …). */
  public async status(id: string): Promise<string> {
    const doc = await requestJson(
      this.ctx,
      { method: 'GET', path: `/api/v2/configuration-versions/${seg(id)}` },
      ConfigurationVersionDocument,
    );
    return doc.data.attributes.status;
  }

  private async waitUntilUploaded(id: string): Promise<void> {
    let status = 'pending';
    for (let attempt = 1; attempt <= this.poll.attempts; attempt += 1) {
      const doc = await requestJson(
        this.ctx,
        { method: 'GET', path: `/api/v2/configuration-versions/${seg(id)}` },
        ConfigurationVersionDocument,
      );
      status = doc.data.attributes.status;
      if (status === 'uploaded') return;
      if (status === 'errored') {
        throw new ConfigurationVersionErroredError(id, doc.data.attributes['error-message'] ?? undefined);
      }
      if (attempt < this.poll.attempts) await this.ctx.sleep(this.poll.intervalMs);
    }
    throw new ConfigurationVersionTimeoutError(id, status);
  }
}
