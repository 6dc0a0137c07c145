import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ModuleArchiveError } from '../../../../lambdas/adapters/tfc/errors';
import { buildModuleArchive } from '../../../../lambdas/adapters/tfc/module-archive';

interface TarEntry {
  name: string;
  type: string;
  mode: string;
  size: number;
  mtime: number;
  content: string;
}

/** A minimal ustar reader that also checks each header's checksum. */
function readTar(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const stored = Number.parseInt(field(148, 8).trim(), 8);
    const computed = header.reduce((sum, b, i) => sum + (i >= 148 && i < 156 ? 32 : b), 0);
    expect(stored).toBe(computed);
    expect(field(257, 6)).toBe('ustar');
    const prefix = field(345, 155);
    const size = Number.parseInt(field(124, 12), 8);
    entries.push({
      name: prefix ? `${prefix}/${field(0, 100)}` : field(0, 100),
      type: field(156, 1),
      mode: field(100, 8),
      size,
      mtime: Number.parseInt(field(136, 12), 8),
      content: tar.subarray(offset + 512, offset + 512 + size).toString('utf8'),
    });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tfc-module-'));
  await mkdir(join(dir, 'modules', 'bucket'), { recursive: true });
  await writeFile(join(dir, 'main.tf'), 'module "bucket" { source = "./modules/bucket" }\n');
  await writeFile(join(dir, 'variables.tf'), 'variable "tenant_code" { type = string }\n');
  await writeFile(join(dir, 'modules', 'bucket', 'main.tf'), 'resource "terraform_data" "b" {}\n');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('buildModuleArchive', () => {
  it('writes a gzipped ustar archive of the module, sorted, with zeroed metadata', async () => {
    const { tarball } = await buildModuleArchive(dir);

    const entries = readTar(gunzipSync(tarball));

    expect(entries.map((e) => [e.name, e.type])).toEqual([
      ['main.tf', '0'],
      ['modules/', '5'],
      ['modules/bucket/', '5'],
      ['modules/bucket/main.tf', '0'],
      ['variables.tf', '0'],
    ]);
    expect(entries.find((e) => e.name === 'modules/bucket/main.tf')?.content).toBe(
      'resource "terraform_data" "b" {}\n',
    );
    expect(new Set(entries.map((e) => e.mtime))).toEqual(new Set([0]));
    expect(entries.find((e) => e.name === 'main.tf')?.mode).toBe('0000644');
  });

  it('hashes the uncompressed tar as sha256:<hex>', async () => {
    const { tarball, contentHash } = await buildModuleArchive(dir);

    const expected = createHash('sha256').update(gunzipSync(tarball)).digest('hex');
    expect(contentHash).toBe(`sha256:${expected}`);
  });

  it('gives the same bytes and hash for the same files, whatever their timestamps', async () => {
    const first = await buildModuleArchive(dir);
    await utimes(join(dir, 'main.tf'), new Date('2001-01-01'), new Date('2001-01-01'));

    const second = await buildModuleArchive(dir);

    expect(second.contentHash).toBe(first.contentHash);
    expect(second.tarball.equals(first.tarball)).toBe(true);
  });

  it('changes the hash when a file changes', async () => {
    const before = await buildModuleArchive(dir);
    await writeFile(join(dir, 'variables.tf'), 'variable "tenant_code" { type = string }\n# edited\n');

    const after = await buildModuleArchive(dir);

    expect(after.contentHash).not.toBe(before.contentHash);
  });

  it('keeps the executable bit as 0755', async () => {
    await writeFile(join(dir, 'hook.sh'), '#!/bin/sh\n');
    await chmod(join(dir, 'hook.sh'), 0o755);

    const entries = readTar(gunzipSync((await buildModuleArchive(dir)).tarball));

    expect(entries.find((e) => e.name === 'hook.sh')?.mode).toBe('0000755');
  });

  it('leaves out local Terraform state, .terraform and .git', async () => {
    await mkdir(join(dir, '.terraform', 'providers'), { recursive: true });
    await writeFile(join(dir, '.terraform', 'providers', 'x'), 'binary');
    await mkdir(join(dir, '.git'));
    await writeFile(join(dir, '.git', 'HEAD'), 'ref');
    await writeFile(join(dir, 'terraform.tfstate'), '{"secret":"state"}');
    await writeFile(join(dir, 'terraform.tfstate.backup'), '{}');
    await writeFile(join(dir, 'other.tfstate'), '{}');

    const names = readTar(gunzipSync((await buildModuleArchive(dir)).tarball)).map((e) => e.name);

    expect(names).toEqual([
      'main.tf',
      'modules/',
      'modules/bucket/',
      'modules/bucket/main.tf',
      'variables.tf',
    ]);
  });

  it('applies extra exclusions by relative path', async () => {
    const names = readTar(
      gunzipSync((await buildModuleArchive(dir, { exclude: (p) => p.startsWith('modules') })).tarball),
    ).map((e) => e.name);

    expect(names).toEqual(['main.tf', 'variables.tf']);
  });

  it('splits long paths into the ustar prefix field', async () => {
    const deep = join('a'.repeat(60), 'b'.repeat(60));
    await mkdir(join(dir, deep), { recursive: true });
    await writeFile(join(dir, deep, 'main.tf'), '# deep\n');

    const entries = readTar(gunzipSync((await buildModuleArchive(dir)).tarball));

    expect(entries.map((e) => e.name)).toContain(`${'a'.repeat(60)}/${'b'.repeat(60)}/main.tf`);
  });

  it('refuses symlinks', async () => {
    await symlink(join(dir, 'main.tf'), join(dir, 'link.tf'));

    await expect(buildModuleArchive(dir)).rejects.toThrow(ModuleArchiveError);
  });

  it('refuses a path that is not a directory', async () => {
    await expect(buildModuleArchive(join(dir, 'main.tf'))).rejects.toThrow('is not a directory');
    await expect(buildModuleArchive(join(dir, 'missing'))).rejects.toThrow(ModuleArchiveError);
  });
});
