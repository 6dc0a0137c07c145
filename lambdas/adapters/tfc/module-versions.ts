import * as z from 'zod';
import { moduleVersion } from '../../core/module-version';
import { moduleVersionsWorkspaceName } from '../../core/workspace';
import type { TfcClient } from './client';
import { TfcApiError, TfcNotFoundError } from './errors';
import { buildModuleArchive } from './module-archive';
import type { VariableResource } from './resources';

export interface ModuleVersionsOptions {
  environment: string;
  /** Directory of the Terraform module every tenant's run applies. */
  moduleDir: string;
  /** Optional label in front of the content hash (`<label>+<hash>`). */
  label?: string;
  /** Project of the module versions workspace. */
  projectId?: () => Promise<string | undefined>;
}

/** The module version a run references. */
export interface ModuleVersionRef {
  version: string;
  configurationVersionId: string;
}

/** Tag marking the module versions workspace (besides managed-by). */
export const MODULE_VERSIONS_TAG = { key: 'purpose', value: 'module-versions' } as const;

const Marker = z.object({ configurationVersionId: z.string(), contentHash: z.string(), version: z.string() });

/** Env-category variable of the module versions workspace naming the configuration version of one hash. */
export function markerKey(contentHash: string): string {
  return `TENANT_CONTROL_PLANE_MODULE_${contentHash.replace(/^sha256:/, '').slice(0, 32)}`;
}

/**
 * Module versions as configuration versions of one workspace per environment that the control plane
 * owns: each module content hash is uploaded once, and every tenant's run references it (run.mdx "Create a
 * Run": a run may use "a pre-existing configuration version, even one from another workspace"). The
 * hash → configuration version map is kept in that workspace's variables, so every process finds it; a
 * process asks once and keeps the answer until a run is refused with it.
 */
export class TfcModuleVersions {
  private current: Promise<ModuleVersionRef> | undefined;
  private resolved: ModuleVersionRef | undefined;

  public constructor(
    private readonly client: TfcClient,
    private readonly options: ModuleVersionsOptions,
  ) {}

  /** The module version runs use now; the first call per process resolves (and uploads) it. */
  public get(): Promise<ModuleVersionRef> {
    this.current ??= this.resolve().then(
      (ref) => {
        this.resolved = ref;
        return ref;
      },
      (error: unknown) => {
        this.current = undefined;
        throw error;
      },
    );
    return this.current;
  }

  /**
   * Forgets `stale` (a run was refused with it, e.g. it was archived), so the next {@link get} checks
   * again and uploads at most once for every caller that saw the same stale version.
   */
  public invalidate(stale: ModuleVersionRef): void {
    if (this.resolved?.configurationVersionId !== stale.configurationVersionId) return;
    this.resolved = undefined;
    this.current = undefined;
  }

  private async resolve(): Promise<ModuleVersionRef> {
    const archive = await buildModuleArchive(this.options.moduleDir);
    const version = moduleVersion(archive.contentHash, this.options.label);
    const projectId = await this.options.projectId?.();
    const workspace = await this.client.workspaces.ensure(
      moduleVersionsWorkspaceName(this.options.environment),
      {
        tags: { [MODULE_VERSIONS_TAG.key]: MODULE_VERSIONS_TAG.value },
        description:
          'Managed by tenant-control-plane: module versions referenced by tenant runs; never runs.',
        autoApply: false,
        ...(projectId === undefined ? {} : { projectId }),
      },
    );
    const vars = await this.client.variables.list(workspace.id);
    const uploaded = await this.uploadedVersion(vars, archive.contentHash);
    if (uploaded !== undefined) return { version, configurationVersionId: uploaded };
    // Never uploaded, or archived since (configuration-versions.mdx: TFC archives unused versions).
    const id = await this.client.configurationVersions.upload(workspace.id, archive.tarball);
    const marker = { configurationVersionId: id, contentHash: archive.contentHash, version };
    try {
      await this.client.variables.apply(workspace.id, vars, [
        {
          key: markerKey(archive.contentHash),
          value: JSON.stringify(marker),
          category: 'env',
          description: `Set by tenant-control-plane: configuration version of module version ${version}.`,
        },
      ]);
    } catch (error) {
      // Processes that start at once (a burst of cold Lambda instances) may all upload; the first marker
      // wins (workspace-variables.mdx: a key is unique per workspace and category, 422 "has already been
      // taken"), and the others use its configuration version, so every run references the same one.
      if (!(error instanceof TfcApiError && error.status === 422 && error.mentions(/already been taken/i)))
        throw error;
      const winner = await this.uploadedVersion(
        await this.client.variables.list(workspace.id),
        archive.contentHash,
      );
      if (winner === undefined) throw error;
      return { version, configurationVersionId: winner };
    }
    return { version, configurationVersionId: id };
  }

  private async uploadedVersion(
    vars: readonly VariableResource[],
    contentHash: string,
  ): Promise<string | undefined> {
    const key = markerKey(contentHash);
    const found = vars.find((v) => v.attributes.key === key && v.attributes.category === 'env');
    let marker: z.infer<typeof Marker>;
    try {
      marker = Marker.parse(JSON.parse(found?.attributes.value ?? 'null'));
    } catch {
      return undefined;
    }
    if (marker.contentHash !== contentHash) return undefined;
    // Only `uploaded` versions can run (configuration-versions.mdx); an archived one is uploaded again.
    const status = await this.client.configurationVersions
      .status(marker.configurationVersionId)
      .catch((error: unknown) => {
        if (error instanceof TfcNotFoundError) return 'gone';
        throw error;
      });
    return status === 'uploaded' ? marker.configurationVersionId : undefined;
  }
}
