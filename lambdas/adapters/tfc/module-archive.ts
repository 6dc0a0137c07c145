import { createHash } from 'node:crypto';
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { ModuleArchiveError } from './errors';

export interface ModuleArchive {
  /** `.tar.gz` of the module, ready for a configuration version upload. */
  tarball: Buffer;
  /** `sha256:<hex>` of the uncompressed tar: stable across zlib versions and platforms. */
  contentHash: string;
}

export interface ModuleArchiveOptions {
  /** Extra exclusions, by path relative to the module root with `/` separators. */
  exclude?: (relativePath: string) => boolean;
}

const BLOCK = 512;
const gzipAsync = promisify(gzip);

/** Local Terraform working files that must never reach TFC (state can hold secrets). */
const EXCLUDED_NAMES = new Set(['.git', '.terraform', 'terraform.tfstate', 'terraform.tfstate.backup']);
const isExcludedName = (name: string): boolean =>
  EXCLUDED_NAMES.has(name) || name.endsWith('.tfstate') || name.endsWith('.tfstate.backup');

interface Entry {
  path: string;
  type: 'file' | 'directory';
  mode: number;
  data: Buffer;
}

/**
 * Archives a module directory deterministically: entries sorted by path, mtime/uid/gid zeroed, modes
 * reduced to 0644/0755, so the same files always give the same bytes and hash.
 */
export async function buildModuleArchive(
  dir: string,
  options: ModuleArchiveOptions = {},
): Promise<ModuleArchive> {
  const root = await lstat(dir).catch((error: unknown) => {
    throw new ModuleArchiveError(`module directory ${dir} cannot be read`, { cause: error });
  });
  if (!root.isDirectory()) throw new ModuleArchiveError(`${dir} is not a directory`);
  const entries = await collect(dir, '', options.exclude ?? (() => false));
  const tar = Buffer.concat([...entries.map(encodeEntry), Buffer.alloc(BLOCK * 2)]);
  const tarball = await gzipAsync(tar, { level: 9 });
  return { tarball, contentHash: `sha256:${createHash('sha256').update(tar).digest('hex')}` };
}

async function collect(dir: string, prefix: string, exclude: (path: string) => boolean): Promise<Entry[]> {
  const names = (await readdir(dir)).sort();
  const entries: Entry[] = [];
  for (const name of names) {
    const path = prefix === '' ? name : `${prefix}/${name}`;
    if (isExcludedName(name) || exclude(path)) continue;
    const full = join(dir, name);
    const stat = await lstat(full);
    if (stat.isDirectory()) {
      entries.push({ path: `${path}/`, type: 'directory', mode: 0o755, data: Buffer.alloc(0) });
      entries.push(...(await collect(full, path, exclude)));
    } else if (stat.isFile()) {
      const mode = stat.mode & 0o111 ? 0o755 : 0o644;
      entries.push({ path, type: 'file', mode, data: await readFile(full) });
    } else {
      throw new ModuleArchiveError(
        `${path} is neither a regular file nor a directory (symlinks are not archived)`,
      );
    }
  }
  return entries;
}

function encodeEntry(entry: Entry): Buffer {
  const padding = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
  return Buffer.concat([header(entry), entry.data, Buffer.alloc(padding)]);
}

/** A POSIX ustar header (name split into prefix/name beyond 100 bytes). */
function header(entry: Entry): Buffer {
  const block = Buffer.alloc(BLOCK);
  const { name, prefix } = splitName(entry.path);
  block.write(name, 0, 100, 'utf8');
  writeOctal(block, entry.mode, 100, 8);
  writeOctal(block, 0, 108, 8); // uid
  writeOctal(block, 0, 116, 8); // gid
  writeOctal(block, entry.data.length, 124, 12);
  writeOctal(block, 0, 136, 12); // mtime
  block.write('        ', 148, 8, 'ascii'); // checksum counts as spaces while summing
  block.write(entry.type === 'directory' ? '5' : '0', 156, 1, 'ascii');
  block.write('ustar\u000000', 257, 8, 'ascii');
  block.write(prefix, 345, 155, 'utf8');
  const checksum = block.reduce((sum, byte) => sum + byte, 0);
  block.write(`${checksum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return block;
}

function writeOctal(block: Buffer, value: number, offset: number, length: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'ascii');
}

function splitName(path: string): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
  for (let i = trimmed.indexOf('/'); i !== -1; i = trimmed.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new ModuleArchiveError(`path too long for a ustar archive: ${path}`);
}
