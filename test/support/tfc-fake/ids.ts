/**
 * Deterministic TFC-looking ids: a prefix and 16 base62 characters (`ws-6jrRyVDv1J8zQMB5` in
 * workspaces.mdx). A seeded generator keeps a run of the fake reproducible.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** mulberry32: tiny, fast, good enough for test ids. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class IdGenerator {
  private readonly random: () => number;

  public constructor(seed: number) {
    this.random = mulberry32(seed);
  }

  /** `prefix-` followed by `length` base62 characters. */
  public next(prefix: string, length = 16): string {
    let suffix = '';
    for (let i = 0; i < length; i += 1) {
      suffix += ALPHABET.charAt(Math.floor(this.random() * ALPHABET.length));
    }
    return `${prefix}-${suffix}`;
  }

  /** A lowercase hex token, for archivist object secrets and `version-id`s. */
  public hex(length: number): string {
    let out = '';
    for (let i = 0; i < length; i += 1) {
      out += Math.floor(this.random() * 16).toString(16);
    }
    return out;
  }
}
