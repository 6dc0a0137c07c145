import { join, resolve } from 'node:path';

/** Root of this package: the Lambda entries, the flow definition and the Terraform module are found from here. */
export const PROJECT_ROOT = resolve(__dirname, '..');

/** Absolute path of a file inside the package. */
export function projectPath(relativePath: string): string {
  return join(PROJECT_ROOT, relativePath);
}
