import { ValidationError } from '../../../lambdas/core/errors';
import { parseTenantCode } from '../../../lambdas/core/tenant-code';

describe('parseTenantCode', () => {
  it.each(['abc', 'acme-2', 'a'.repeat(32), 'x1-y2-z3'])('accepts %s', (code) => {
    expect(parseTenantCode(code)).toBe(code);
  });

  it.each([
    ['too short', 'ab'],
    ['too long', 'a'.repeat(33)],
    ['uppercase', 'Acme'],
    ['leading digit', '1acme'],
    ['leading hyphen', '-acme'],
    ['underscore', 'ac_me'],
    ['space', 'ac me'],
    ['not a string', 42],
    ['empty', ''],
  ])('rejects %s', (_why, raw) => {
    expect(() => parseTenantCode(raw)).toThrow(ValidationError);
  });
});
