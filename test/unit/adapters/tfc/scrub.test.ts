import {
  ConfigurationVersionErroredError,
  TfcApiError,
  TfcRetriesExhaustedError,
} from '../../../../lambdas/adapters/tfc/errors';
import {
  MAX_TFC_DETAIL_LENGTH,
  MAX_TFC_MESSAGE_LENGTH,
  scrubError,
  scrubText,
} from '../../../../lambdas/adapters/tfc/scrub';

const TOKEN = 'local-token-0b5e7d3f';
const label = { method: 'POST', path: '/api/v2/runs' };

describe('scrubText', () => {
  it.each([
    ['the configured token', `token ${TOKEN} rejected`, 'token [redacted] rejected'],
    ['a bearer token', 'sent Bearer abc.def-ghi_123', 'sent Bearer [redacted]'],
    [
      'an Authorization header',
      'headers: {"Authorization": "Bearer x"}',
      'headers: {"Authorization": [redacted]}',
    ],
    [
      'an HCP Terraform token',
      `with AbCdEf12345678.atlasv1.${'q'.repeat(60)} as the team token`,
      'with [redacted] as the team token',
    ],
    [
      'an archivist upload URL',
      'upload to https://archivist.terraform.io/v1/object/dmF1bHQ6djE6T2JqZWN0 failed',
      'upload to [redacted upload URL] failed',
    ],
    [
      'a Terraform Enterprise archivist URL',
      'PUT http://tfe.example.com:8080/_archivist/v1/object/c2VjcmV0 answered 403',
      'PUT [redacted upload URL] answered 403',
    ],
    [
      'a signed query string',
      'see https://blob.example.com/state.json?X-Amz-Signature=abc&X-Amz-Expires=60 now',
      'see https://blob.example.com/state.json?[redacted] now',
    ],
    ['user info in a URL', 'proxy https://user:pw@proxy.example.com/x', 'proxy https://proxy.example.com/x'],
    [
      'key=value secrets',
      'password: hunter22 signature=abc123; sig=zz',
      'password: [redacted] signature=[redacted]; sig=[redacted]',
    ],
    ['control characters', 'line one\r\nline\u0000two\ttab', 'line one line two tab'],
  ])('redacts %s', (_what, input, expected) => {
    expect(scrubText(input, { secrets: [TOKEN] })).toBe(expected);
  });

  it('keeps what a person needs: TFC’s words, resource ids and the API path', () => {
    const text =
      'TFC POST /api/v2/runs answered 422: invalid attribute: Workspace ws-AbC123 is locked by run-XyZ';
    expect(scrubText(text, { secrets: [TOKEN] })).toBe(text);
    expect(scrubText('token missing, invalid or expired (401)')).toBe(
      'token missing, invalid or expired (401)',
    );
  });

  it('bounds the length, keeping the start', () => {
    const out = scrubText(`title: ${'d'.repeat(10_000)}`);
    expect(out.startsWith('title: ddd')).toBe(true);
    expect(out.length).toBeLessThanOrEqual(MAX_TFC_MESSAGE_LENGTH + 20);
    expect(out.endsWith('… (truncated)')).toBe(true);
  });

  it('ignores configured secrets too short to be told from ordinary words', () => {
    expect(scrubText('the plan failed', { secrets: ['plan'] })).toBe('the plan failed');
  });
});

describe('scrubError', () => {
  const detail = `Authorization: Bearer ${TOKEN}; ${'x'.repeat(2000)}`;

  it('scrubs message, stack, TFC’s title and detail, and keeps the class, status and retryability', () => {
    const error = new TfcApiError(label, 503, [{ status: '503', title: `bad ${TOKEN}`, detail }]);

    const out = scrubError(error, [TOKEN]);

    expect(out).toBe(error);
    expect(out).toBeInstanceOf(TfcApiError);
    expect(out.status).toBe(503);
    expect(out.retryable).toBe(true);
    const serialized = JSON.stringify({ ...out, message: out.message, stack: out.stack });
    expect(serialized).not.toContain(TOKEN);
    expect(out.message).toContain('answered 503: bad [redacted]: Authorization: [redacted]');
    expect(out.title).toBe('bad [redacted]');
    expect(out.detail?.length).toBeLessThanOrEqual(MAX_TFC_DETAIL_LENGTH + 20);
    expect(out.errors[0]?.detail).toBe(out.detail);
    expect(out.stack?.split('\n')[0]).toBe(`TfcApiError: ${out.message}`);
    expect(out.stack?.split('\n').length).toBeGreaterThan(1);
  });

  it('scrubs every error in the cause chain', () => {
    const last = new TfcApiError(label, 500, [{ detail: `echo ${TOKEN}` }]);
    const error = new TfcRetriesExhaustedError(label, 5, 500, last);

    scrubError(error, [TOKEN]);

    expect(last.message).not.toContain(TOKEN);
    expect(last.stack).not.toContain(TOKEN);
    expect(last.detail).toBe('echo [redacted]');
  });

  it('scrubs errors built from TFC attributes other than error bodies', () => {
    const error = new ConfigurationVersionErroredError(
      'cv-1',
      'fetch https://archivist.terraform.io/v1/object/abc failed',
    );
    expect(scrubError(error).message).toBe(
      'TFC configuration version cv-1 errored: fetch [redacted upload URL] failed',
    );
  });

  it('leaves values that are not errors alone', () => {
    expect(scrubError('plain', [TOKEN])).toBe('plain');
    expect(scrubError(undefined)).toBeUndefined();
  });
});
