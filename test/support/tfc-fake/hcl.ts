/**
 * Decoding of the HCL literals TFC takes as run-specific variable values (run.mdx "Create a Run":
 * "All values must be expressed as an HCL literal in the same syntax you would use when writing
 * Terraform code") and as `hcl: true` variables (workspace-variables.mdx).
 *
 * Quoted strings are templates in HCL: `${` and `%{` start an interpolation or a directive unless
 * written `$${` / `%%{`. A variable value cannot refer to anything, so Terraform rejects an
 * interpolation there ("Variables not allowed"), and it rejects a bare word the same way. The fake
 * decodes what Terraform would receive, so a test can check that a value arrives as the exact string
 * sent. Lists, objects and heredocs are kept as written (the fake does not evaluate them).
 */

export type Decoded = { ok: true; value: string } | { ok: false; error: string };

const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;
const VARIABLES_NOT_ALLOWED = 'Variables not allowed: variables may not be used here.';

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

function decodeQuoted(body: string): Decoded {
  let out = '';
  for (let i = 0; i < body.length; i += 1) {
    const c = body.charAt(i);
    const next = body.charAt(i + 1);
    if (c === '\\') {
      const simple = ESCAPES[next];
      if (simple !== undefined) {
        out += simple;
        i += 1;
        continue;
      }
      const width = next === 'u' ? 4 : next === 'U' ? 8 : 0;
      const hex = body.slice(i + 2, i + 2 + width);
      if (width === 0 || !/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== width) {
        return { ok: false, error: `Invalid escape sequence: \\${next}` };
      }
      out += String.fromCodePoint(Number.parseInt(hex, 16));
      i += 1 + width;
      continue;
    }
    if ((c === '$' || c === '%') && next === '{') return { ok: false, error: VARIABLES_NOT_ALLOWED };
    if ((c === '$' || c === '%') && next === c && body.charAt(i + 2) === '{') {
      out += `${c}{`;
      i += 2;
      continue;
    }
    if (c === '"') return { ok: false, error: 'Invalid expression: unescaped quote inside a string' };
    if (c === '\n') return { ok: false, error: 'Unterminated template string' };
    out += c;
  }
  return { ok: true, value: out };
}

/** What Terraform receives for an HCL literal, as a string (numbers and bools as written). */
export function decodeHclLiteral(raw: string): Decoded {
  const text = raw.trim();
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) return decodeQuoted(text.slice(1, -1));
  if (text === 'true' || text === 'false' || NUMBER.test(text)) return { ok: true, value: text };
  if (text.startsWith('[') || text.startsWith('{') || text.startsWith('<<')) return { ok: true, value: text };
  return { ok: false, error: VARIABLES_NOT_ALLOWED };
}
