import { UsageError } from '../../../lambdas/cli/errors';
import { isLoopback, regionOf, resolveTarget } from '../../../lambdas/cli/target';

const NO_FLAGS = { sigv4: false, json: false };

describe('resolveTarget', () => {
  it('defaults to the local control plane, unsigned', () => {
    const target = resolveTarget(NO_FLAGS, {});

    expect(target.baseUrl.href).toBe('http://127.0.0.1:4000/');
    expect(target.loopback).toBe(true);
    expect(target.signing).toBeUndefined();
  });

  it('prefers --endpoint over TENANTCTL_ENDPOINT, and signs a remote one', () => {
    const env = { TENANTCTL_ENDPOINT: 'http://localhost:9999', AWS_REGION: 'us-east-1' };

    expect(resolveTarget(NO_FLAGS, env).baseUrl.port).toBe('9999');
    const remote = resolveTarget(
      { ...NO_FLAGS, endpoint: 'https://abc123.execute-api.eu-north-1.amazonaws.com/prod' },
      env,
    );
    expect(remote.signing).toEqual({ region: 'eu-north-1' });
  });

  it('lets --region win over the host name', () => {
    const target = resolveTarget(
      {
        ...NO_FLAGS,
        endpoint: 'https://abc123.execute-api.eu-north-1.amazonaws.com/prod',
        region: 'us-west-2',
      },
      {},
    );

    expect(target.signing).toEqual({ region: 'us-west-2' });
  });

  it.each(['not a url', 'ftp://host/x', 'https://host/prod?x=1'])('rejects the endpoint %s', (endpoint) => {
    expect(() => resolveTarget({ ...NO_FLAGS, endpoint }, {})).toThrow(UsageError);
  });
});

describe('isLoopback', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['[::1]', true],
    ['10.0.0.5', false],
    ['127.example.com', false],
    ['abc.execute-api.eu-west-1.amazonaws.com', false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopback(host)).toBe(loopback);
  });
});

describe('regionOf', () => {
  it.each([
    ['a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com', 'eu-west-1'],
    ['a1b2c3d4e5-vpce-0123456789abcdef0.execute-api.ap-southeast-2.amazonaws.com', 'ap-southeast-2'],
    ['vpce-0123-abcd.execute-api.us-gov-west-1.vpce.amazonaws.com', 'us-gov-west-1'],
    ['api.example.com', undefined],
  ])('%s → %s', (host, region) => {
    expect(regionOf(host)).toBe(region);
  });
});
