import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { InterfaceVpcEndpoint, Vpc } from 'aws-cdk-lib/aws-ec2';
import { TenantControlPlane } from '../../lib';
import {
  BASE_PROPS,
  grantsOf,
  logicalId,
  ref,
  resource,
  resourcesOfType,
  synthStack,
  testApp,
} from './support';

const { stack, template } = synthStack();
const cp = stack.controlPlane;
const host = cp.adminHost;
if (!host) throw new Error('the admin host is on by default');
const instance = resource(template, 'AWS::EC2::Instance', logicalId(host.instance));

const endpointServices = (t: Template) =>
  Object.values(resourcesOfType(t, 'AWS::EC2::VPCEndpoint')).map((e) => {
    const name = JSON.stringify(e.Properties.ServiceName);
    return /\.([a-z0-9-]+)"\]\]\}$/.exec(name)?.[1] ?? name;
  });

describe('network', () => {
  it('creates a VPC without any route to the internet: no NAT, no internet gateway, isolated subnets, flow logs', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::Route', 0);
    for (const subnet of Object.values(resourcesOfType(template, 'AWS::EC2::Subnet'))) {
      expect(subnet.Properties.MapPublicIpOnLaunch).toBe(false);
    }
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', ResourceType: 'VPC' });
  });

  it('has the endpoints for the API and Session Manager, with private DNS, and S3 for packages', () => {
    expect(endpointServices(template).sort()).toEqual([
      'ec2messages',
      'execute-api',
      's3',
      'ssm',
      'ssmmessages',
    ]);
    const interfaces = Object.values(resourcesOfType(template, 'AWS::EC2::VPCEndpoint')).filter(
      (e) => e.Properties.VpcEndpointType === 'Interface',
    );
    expect(interfaces.map((e) => e.Properties.PrivateDnsEnabled)).toEqual([true, true, true, true]);
  });
});

describe('admin host', () => {
  it('has no key pair and no public IP, in an isolated subnet', () => {
    expect(instance.Properties).not.toHaveProperty('KeyName');
    const [nic] = instance.Properties.NetworkInterfaces as {
      AssociatePublicIpAddress: boolean;
      SubnetId: unknown;
    }[];
    expect(nic?.AssociatePublicIpAddress).toBe(false);
    const isolated = cp.network.vpc.isolatedSubnets.map((s) => ref(s));
    expect(isolated).toContainEqual(nic?.SubnetId);
  });

  it('has a security group without any inbound rule', () => {
    const sg = resource(template, 'AWS::EC2::SecurityGroup', logicalId(host.securityGroup));
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    const ingressToHost = Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress')).filter(
      (rule) => JSON.stringify(rule.Properties.GroupId).includes(logicalId(host.securityGroup)),
    );
    expect(ingressToHost).toEqual([]);
    expect(sg.Properties.SecurityGroupEgress).toEqual([
      expect.objectContaining({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
    ]);
  });

  it('requires IMDSv2 and encrypts its volume', () => {
    expect(instance.Properties.MetadataOptions).toMatchObject({ HttpTokens: 'required' });
    expect(instance.Properties.BlockDeviceMappings).toEqual([
      expect.objectContaining({ Ebs: expect.objectContaining({ Encrypted: true }) as unknown }),
    ]);
  });

  it('may use Session Manager and invoke this API’s stage, nothing else', () => {
    const role = resource(template, 'AWS::IAM::Role', logicalId(host.role));
    expect(role.Properties.ManagedPolicyArns).toEqual([
      {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore'],
        ],
      },
    ]);
    const granted = grantsOf(template, host.role);
    expect(granted.actions).toEqual(['execute-api:Invoke']);
    const [stageArn] = granted.resourcesFor('execute-api:Invoke');
    expect(JSON.stringify(stageArn)).toContain(JSON.stringify(ref(cp.api.api)));
    expect(JSON.stringify(stageArn)).toContain(JSON.stringify(ref(cp.api.api.deploymentStage)));
  });
});

describe('an existing VPC', () => {
  const existing = (options: { ssmEndpoints?: boolean; withEndpoint?: boolean } = {}) => {
    const s = new Stack(testApp(), 'Existing');
    const vpc = Vpc.fromVpcAttributes(s, 'Platform', {
      vpcId: 'vpc-0123456789abcdef0',
      vpcCidrBlock: '10.1.0.0/16',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
    });
    const endpoint = options.withEndpoint
      ? InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(s, 'Endpoint', {
          vpcEndpointId: 'vpce-0123456789abcdef0',
          port: 443,
        })
      : undefined;
    new TenantControlPlane(s, 'ControlPlane', {
      ...BASE_PROPS,
      vpc,
      ...(options.ssmEndpoints === undefined ? {} : { ssmEndpoints: options.ssmEndpoints }),
      ...(endpoint ? { executeApiEndpoint: endpoint } : {}),
    });
    return Template.fromStack(s);
  };

  it('is used as given: no VPC created, endpoints and host in its private subnets', () => {
    const t = existing();
    t.resourceCountIs('AWS::EC2::VPC', 0);
    expect(endpointServices(t).sort()).toEqual(['ec2messages', 'execute-api', 'ssm', 'ssmmessages']);
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcId: 'vpc-0123456789abcdef0',
      SubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0aaaaaaaaaaaaaaa2'],
    });
    t.hasResourceProperties('AWS::EC2::Instance', {
      NetworkInterfaces: [
        Match.objectLike({ SubnetId: 'subnet-0aaaaaaaaaaaaaaa1', AssociatePublicIpAddress: false }),
      ],
    });
  });

  it('reuses the platform’s endpoints when told to', () => {
    const t = existing({ ssmEndpoints: false, withEndpoint: true });
    expect(endpointServices(t)).toEqual([]);
    t.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['PRIVATE'], VpcEndpointIds: ['vpce-0123456789abcdef0'] },
      Policy: Match.objectLike({
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Condition: { StringEquals: { 'aws:SourceVpce': 'vpce-0123456789abcdef0' } },
          }),
        ]),
      }),
    });
  });
});
