import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hclStringLiteral } from '../../../../lambdas/adapters/tfc/hcl';

const HOSTILE = [
  'plain',
  '',
  'say "hi"',
  'back\\slash\\',
  '\\"',
  '${var.secret}',
  '$${already-escaped}',
  '%{ if true }x%{ endif }',
  '%%{literal}',
  '${file("/etc/passwd")}',
  'trailing $',
  'trailing %',
  '$ {not a template}',
  'line1\nline2\r\n\ttabbed',
  'bell\u0007 and del\u007f',
  '<<EOT\nheredoc\nEOT',
  'unicode ünï €',
];

describe('hclStringLiteral', () => {
  it.each([
    ['say "hi"', '"say \\"hi\\""'],
    ['a\\b', '"a\\\\b"'],
    ['${x}', '"$${x}"'],
    ['%{ if x }', '"%%{ if x }"'],
    ['cost $5 and 10%', '"cost $5 and 10%"'],
    ['a\nb', '"a\\nb"'],
  ])('quotes %j as %s', (value, literal) => {
    expect(hclStringLiteral(value)).toBe(literal);
  });

  it('evaluates in Terraform to exactly the string sent, for hostile values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcl-literal-'));
    try {
      const expression = `base64encode(jsonencode([${HOSTILE.map(hclStringLiteral).join(', ')}]))`;
      const out = execFileSync('terraform', ['console'], {
        cwd: dir,
        input: `${expression}\n`,
        env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
        encoding: 'utf8',
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      // base64 keeps the console's own quoting of its answer out of the way.
      const json = Buffer.from(JSON.parse(out.trim()) as string, 'base64').toString('utf8');
      expect(JSON.parse(json)).toEqual(HOSTILE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
