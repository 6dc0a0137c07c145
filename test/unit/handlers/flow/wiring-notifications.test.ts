/** The flow functions' run notification settings (contract.ts): both or neither, a URL that is http(s). */
import { FLOW_ENV } from '../../../../lambdas/handlers/flow/contract';
import { flowFromEnv } from '../../../../lambdas/handlers/flow/wiring';
import { ConfigError } from '../../../../lambdas/shared/config';

const BASE = {
  TABLE_NAME: 'tenants',
  HISTORY_TABLE_NAME: 'history',
  COORDINATION_TABLE_NAME: 'coordination',
  TFC_ORGANIZATION: 'acme',
  ENVIRONMENT_NAME: 'dev',
  TFC_TOKEN_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tfc-token',
  AWS_REGION: 'eu-west-1',
};
const URL = 'https://abc.lambda-url.eu-west-1.on.aws/';
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:tfc-notification-token';

describe('flow functions and run notifications', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('names its variables once', () => {
    expect(FLOW_ENV.notificationUrl).toBe('TFC_NOTIFICATION_URL');
    expect(FLOW_ENV.notificationTokenSecret).toBe('TFC_NOTIFICATION_TOKEN_SECRET_ARN');
  });

  it('builds the trigger with or without notifications', () => {
    process.env = { ...saved, ...BASE };
    expect(() => flowFromEnv('trigger')).not.toThrow();
    process.env = { ...saved, ...BASE, TFC_NOTIFICATION_URL: URL, TFC_NOTIFICATION_TOKEN_SECRET_ARN: SECRET };
    expect(() => flowFromEnv('trigger')).not.toThrow();
  });

  it('refuses a URL without the secret, and a URL that is not http(s)', () => {
    process.env = { ...saved, ...BASE, TFC_NOTIFICATION_URL: URL };
    expect(() => flowFromEnv('trigger')).toThrow(ConfigError);
    expect(() => flowFromEnv('trigger')).toThrow('TFC_NOTIFICATION_TOKEN_SECRET_ARN');
    process.env = {
      ...saved,
      ...BASE,
      TFC_NOTIFICATION_URL: 'ftp://example.com/',
      TFC_NOTIFICATION_TOKEN_SECRET_ARN: SECRET,
    };
    expect(() => flowFromEnv('trigger')).toThrow('TFC_NOTIFICATION_URL');
  });
});
