import { z } from 'zod';
import { requestJson, seg, type TfcContext } from './context';
import { ConfigurationVersionErroredError, ConfigurationVersionTimeoutError } from './errors';
import {
  ConfigurationVersionDocument,
  CreatedConfigurationVersionDocument,
  type VariableResource,
  type WorkspaceResource,
} from './resources';
import type { VariablesApi } from './variables';
import type { WorkspacesApi } from './workspaces';

/**
 * Env-category workspace variable recording which configuration version was uploaded for which module
 * hash. A variable needs only the variable-write permission the client already uses (a description or
 * tags need workspace admin), is structured, and shows in the workspace's Variables page.
 */
export const MODULE_MARKER_VARIABLE = 'TENANT_CONTROL_PLANE_MODULE';

export interface ConfigurationVersionResult {
  id: string;
  /** True when the workspace's current configuration version was uploaded for the same content hash. */
  reused: boolean;
}

export interface ConfigurationVersionPoll {
  attempts: number;
  intervalMs: number;
}

const ModuleMarker = z.object({ configurationVersionId: z.string(), contentHash: z.string() });

/** Configuration versions: create, upload, wait for `uploaded` (configuration-versions.mdx). */
export class ConfigurationVersionsApi {
  public constructor(
    private readonly ctx: TfcContext,
    private readonly workspaces: WorkspacesApi,
    private readonly variables: VariablesApi,
    private readonly poll: ConfigurationVersionPoll,
  ) {}

  /**
   * Makes sure the workspace's current configuration version holds the module with `contentHash`:
   * reuses it when it does, otherwise creates one (`auto-queue-runs: false`), uploads the tarball and
   * waits for `uploaded`. The hash is recorded in the {@link MODULE_MARKER_VARIABLE} variable.
   */
  public async ensure(
    workspaceId: string,
    tarball: Buffer,
    contentHash: string,
  ): Promise<ConfigurationVersionResult> {
    const workspace = await this.workspaces.read({ id: workspaceId });
    const vars = await this.variables.list(workspaceId);
    const reusable = await this.reusable(workspace, vars, contentHash);
    if (reusable !== undefined) {
      this.ctx.logger?.info('TFC configuration version reused', {
        workspaceId,
        configurationVersionId: reusable,
      });
      return { id: reusable, reused: true };
    }
    const id = await this.upload(workspaceId, tarball);
    const marker = JSON.stringify({ configurationVersionId: id, contentHash });
    await this.variables.apply(workspaceId, vars, [
      {
        key: MODULE_MARKER_VARIABLE,
        value: marker,
        category: 'env',
        description: 'Set by tenant-control-plane: configuration version uploaded for this module hash.',
      },
    ]);
    this.ctx.logger?.info('TFC configuration version uploaded', {
      workspaceId,
      configurationVersionId: id,
    });
    return { id, reused: false };
  }

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

  private async reusable(
    workspace: WorkspaceResource,
    vars: readonly VariableResource[],
    contentHash: string,
  ): Promise<string | undefined> {
    const currentId = workspace.relationships?.['current-configuration-version']?.data?.id;
    const markerVar = vars.find(
      (v) => v.attributes.key === MODULE_MARKER_VARIABLE && v.attributes.category === 'env',
    );
    const marker = ModuleMarker.safeParse(parseJsonOrUndefined(markerVar?.attributes.value));
    if (currentId === undefined || !marker.success) return undefined;
    if (marker.data.configurationVersionId !== currentId || marker.data.contentHash !== contentHash)
      return undefined;
    // An API-created configuration version is usable for runs only while `uploaded` (not `archived`).
    return (await this.status(currentId)) === 'uploaded' ? currentId : undefined;
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

function parseJsonOrUndefined(text: string | null | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
