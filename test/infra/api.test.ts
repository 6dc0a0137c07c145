import { Capture, Match } from 'aws-cdk-lib/assertions';
import { z } from 'zod';
import { API_ROUTES } from '../../lambdas/core/api-routes';
import { createTenantSchema, updateTenantSchema } from '../../lambdas/core/api-schema';
import { type CfnResource, arnOf, ref, resource, resourcesOfType, synthStack } from './support';

const { stack, template } = synthStack();
const cp = stack.controlPlane;
const endpoint = cp.network.executeApiEndpoint;

/** `METHOD /path` of every method, from the Resource tree of the template. */
function routes(): Record<string, CfnResource> {
  const resources = resourcesOfType(template, 'AWS::ApiGateway::Resource');
  const pathOf = (id: unknown): string => {
    const key = (id as { Ref?: string }).Ref;
    const res = key ? resources[key] : undefined;
    if (!res) return '';
    return `${pathOf(res.Properties.ParentId)}/${res.Properties.PathPart as string}`;
  };
  return Object.fromEntries(
    Object.values(resourcesOfType(template, 'AWS::ApiGateway::Method')).map((m) => [
      `${m.Properties.HttpMethod as string} ${pathOf(m.Properties.ResourceId)}`,
      m,
    ]),
  );
}

describe('private tenant API', () => {
  it('is a PRIVATE endpoint type associated with the control plane execute-api VPC endpoint', () => {
    const apis = Object.values(resourcesOfType(template, 'AWS::ApiGateway::RestApi'));
    expect(apis.map((a) => a.Properties.EndpointConfiguration)).toEqual([
      { Types: ['PRIVATE'], VpcEndpointIds: [ref(endpoint)] },
    ]);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
      ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.execute-api'])] }),
    });
  });

  it('allows execute-api:Invoke only from that endpoint and explicitly denies everything else', () => {
    const statements = new Capture();
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { Policy: { Statement: statements } });
    const policy = statements.asArray() as { Effect: string; Principal: unknown; Condition: unknown }[];

    expect(policy).toHaveLength(2);
    const allows = policy.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/*',
        Condition: { StringEquals: { 'aws:SourceVpce': ref(endpoint) } },
      }),
    ]);
    expect(policy.filter((s) => s.Effect === 'Deny')).toEqual([
      expect.objectContaining({
        Principal: { AWS: '*' },
        Action: 'execute-api:Invoke',
        Resource: 'execute-api:/*',
        Condition: { StringNotEquals: { 'aws:SourceVpce': ref(endpoint) } },
      }),
    ]);
  });

  it('serves exactly the routes of the route table, each with AWS_IAM auth, proxying to its own function', () => {
    const expected = {
      'POST /tenants': cp.api.functions.create,
      'GET /tenants': cp.api.functions.list,
      'GET /tenants/{code}': cp.api.functions.get,
      'PATCH /tenants/{code}': cp.api.functions.update,
      'DELETE /tenants/{code}': cp.api.functions.delete,
      'GET /tenants/{code}/history': cp.api.functions.history,
      'GET /fleet': cp.api.functions.fleet,
      'POST /rollouts': cp.api.functions.startRollout,
      'GET /rollouts': cp.api.functions.listRollouts,
      'GET /rollouts/{id}': cp.api.functions.getRollout,
      'POST /rollouts/{id}/pause': cp.api.functions.pauseRollout,
      'POST /rollouts/{id}/resume': cp.api.functions.resumeRollout,
      'POST /rollouts/{id}/cancel': cp.api.functions.cancelRollout,
    };
    expect(Object.keys(expected).sort()).toEqual(API_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    const actual = routes();

    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    for (const [route, fn] of Object.entries(expected)) {
      const method = actual[route];
      expect(method?.Properties.AuthorizationType).toBe('AWS_IAM');
      expect(method?.Properties.Integration).toMatchObject({
        Type: 'AWS_PROXY',
        IntegrationHttpMethod: 'POST',
      });
      expect(JSON.stringify(method?.Properties.Integration)).toContain(JSON.stringify(arnOf(fn.function)));
    }
  });

  it('validates parameters and bodies, with the handlers’ zod schemas as JSON Schema models', () => {
    const validators = resourcesOfType(template, 'AWS::ApiGateway::RequestValidator');
    expect(Object.values(validators).map((v) => v.Properties)).toEqual([
      expect.objectContaining({ ValidateRequestBody: true, ValidateRequestParameters: true }),
    ]);
    const [validatorId] = Object.keys(validators);
    const actual = routes();
    for (const method of Object.values(actual)) {
      expect(method.Properties.RequestValidatorId).toEqual({ Ref: validatorId });
    }
    expect(actual['GET /tenants/{code}']?.Properties.RequestParameters).toEqual({
      'method.request.path.code': true,
    });

    const modelSchema = (route: string) => {
      const models = actual[route]?.Properties.RequestModels as Record<string, { Ref: string }>;
      const modelRef = models['application/json']?.Ref ?? '';
      return resource(template, 'AWS::ApiGateway::Model', modelRef).Properties.Schema;
    };
    // The same JSON Schema the handlers' zod schemas describe (refinements stay in the handlers).
    const jsonSchema = (schema: z.ZodType) =>
      z.toJSONSchema(schema, { target: 'draft-04', io: 'input', unrepresentable: 'any' });
    const today = () => '2000-01-01';
    expect(modelSchema('POST /tenants')).toEqual(jsonSchema(createTenantSchema(today)));
    expect(modelSchema('POST /tenants')).toMatchObject({
      required: ['tenantCode'],
      additionalProperties: false,
    });
    expect(modelSchema('PATCH /tenants/{code}')).toEqual(jsonSchema(updateTenantSchema(today)));
  });

  it('logs access as JSON, traces, throttles and keeps bodies out of execution logs', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: Match.objectLike({ 'Fn::GetAtt': [Match.stringLikeRegexp('AccessLogs'), 'Arn'] }),
        Format: Match.stringLikeRegexp('^\\{.*"requestId":"\\$context.requestId"'),
      },
      MethodSettings: [
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          LoggingLevel: 'ERROR',
          DataTraceEnabled: false,
          ThrottlingRateLimit: 50,
          ThrottlingBurstLimit: 100,
        }),
      ],
    });
    const stage = Object.values(resourcesOfType(template, 'AWS::ApiGateway::Stage'))[0];
    const logGroupId =
      (stage?.Properties.AccessLogSetting as { DestinationArn: { 'Fn::GetAtt': string[] } }).DestinationArn[
        'Fn::GetAtt'
      ][0] ?? '';
    expect(resource(template, 'AWS::Logs::LogGroup', logGroupId).Properties.RetentionInDays).toBe(30);
  });

  it('answers gateway-made errors with the handlers’ error body', () => {
    const bodies = Object.values(resourcesOfType(template, 'AWS::ApiGateway::GatewayResponse')).map((r) => {
      const body = (r.Properties.ResponseTemplates as Record<string, string>)['application/json'] ?? '';
      const rendered = body
        .replace('$context.error.messageString', JSON.stringify('Invalid request body'))
        .replace('$context.error.responseType', 'ACCESS_DENIED');
      return [r.Properties.ResponseType, JSON.parse(rendered) as unknown];
    });

    expect(Object.fromEntries(bodies)).toEqual({
      BAD_REQUEST_BODY: { error: { code: 'VALIDATION_ERROR', message: 'Invalid request body' } },
      BAD_REQUEST_PARAMETERS: { error: { code: 'VALIDATION_ERROR', message: 'Invalid request body' } },
      DEFAULT_4XX: { error: { code: 'ACCESS_DENIED', message: 'Invalid request body' } },
      DEFAULT_5XX: { error: { code: 'ACCESS_DENIED', message: 'Invalid request body' } },
    });
  });

  it('creates API Gateway’s account-wide logging role unless the account already has one', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 1);
    const without = synthStack({ api: { cloudWatchRole: false } }).template;
    expect(Object.keys(resourcesOfType(without, 'AWS::ApiGateway::Account'))).toEqual([]);
  });
});
