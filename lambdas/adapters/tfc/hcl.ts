/**
 * HCL string literals for run-specific variables. run.mdx ("Create a Run"): run variable values "must
 * be expressed as an HCL literal", so a tenant's value is quoted here and reaches Terraform as exactly the
 * string sent: quotes and backslashes are escaped, `${` and `%{` are doubled so they are never template
 * interpolations or directives (HCL native syntax spec, "Template Expressions": `$${` and `%%{` are the
 * literal escapes), and control characters become `\n`, `\r`, `\t` or `\uNNNN`.
 */
export function hclStringLiteral(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i += 1) {
    const ch = value.charAt(i);
    const next = value.charAt(i + 1);
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if ((ch === '$' || ch === '%') && next === '{') out += `${ch}${ch}`;
    else if (ch < ' ' || ch === '\u007f') out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
