/**
 * A module version names the exact module files a run applies: the first 12 hex digits of the module's
 * content hash, after an optional label from configuration (`<label>+<hash>`, like semver build
 * metadata). The same files always give the same version, in Terraform Cloud and in local mode.
 */
export const MODULE_VERSION_LABEL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;
export const MODULE_VERSION_LABEL_RULE =
  'must be 1-40 letters, digits, dots, underscores or hyphens, starting with a letter or digit';

export function moduleVersion(contentHash: string, label?: string): string {
  const hex = contentHash.replace(/^sha256:/, '').slice(0, 12);
  return label ? `${label}+${hex}` : hex;
}

/** A module version as {@link moduleVersion} writes it: 12 lowercase hex digits, after an optional label. */
export const MODULE_VERSION_PATTERN = /^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,39}\+)?[0-9a-f]{12}$/;
export const MODULE_VERSION_RULE =
  'must be a module version: 12 lowercase hex digits, optionally after "<label>+"';
