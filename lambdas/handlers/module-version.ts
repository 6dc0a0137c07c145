import { buildModuleArchive } from '../adapters/tfc/module-archive';
import { moduleVersion } from '../core/module-version';

/**
 * The version of the module bundled with the function (the same files the trigger uploads), hashed once per
 * container: a deployment that changes the module brings new containers. Shared by the API's fleet and
 * rollout routes and the rollout steps.
 */
export function currentModuleVersionOf(dir: string, label: string | undefined): () => Promise<string> {
  let version: Promise<string> | undefined;
  return () => {
    version ??= buildModuleArchive(dir).then(
      (archive) => moduleVersion(archive.contentHash, label),
      (error: unknown) => {
        version = undefined;
        throw error;
      },
    );
    return version;
  };
}
