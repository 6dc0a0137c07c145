import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  AmazonLinuxCpuType,
  BlockDeviceVolume,
  EbsDeviceVolumeType,
  HttpTokens,
  Instance,
  InstanceClass,
  InstanceSize,
  InstanceType,
  type IVpc,
  MachineImage,
  Peer,
  Port,
  SecurityGroup,
  type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';
import { ManagedPolicy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { acknowledge, managedPolicyFinding, wildcardResourceFinding } from '../nag';

export interface AdminHostProps {
  /** The VPC of the API's endpoint. */
  readonly vpc: IVpc;
  /**
   * Where the host runs.
   * @default - the VPC's private subnets (with egress if it has them, else isolated)
   */
  readonly subnets?: SubnetSelection;
  /** The API operators call from the host. */
  readonly api: RestApi;
  /**
   * Instance type (ARM64: the image is Amazon Linux 2023 for arm64).
   * @default t4g.micro
   */
  readonly instanceType?: InstanceType;
}

/**
 * The operators' way in: an instance reached only through SSM Session Manager. No key pair, no public IP,
 * a security group without any inbound rule, IMDSv2 only, an encrypted root volume, and a role with the
 * Session Manager core policy plus execute-api:Invoke on this API's stage.
 */
export class AdminHost extends Construct {
  public readonly instance: Instance;
  public readonly role: Role;
  public readonly securityGroup: SecurityGroup;

  public constructor(scope: Construct, id: string, props: AdminHostProps) {
    super(scope, id);
    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Tenant control plane admin host: no inbound rule, HTTPS out to VPC endpoints only',
      allowAllOutbound: false,
    });
    // Session Manager, the API and S3 (packages) are all reached through VPC endpoints over HTTPS.
    this.securityGroup.addEgressRule(Peer.anyIpv4(), Port.tcp(443), 'HTTPS to VPC endpoints');

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
      description: 'Tenant control plane admin host: Session Manager and the tenant API',
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    const stageArn = props.api.arnForExecuteApi('*', '/*', props.api.deploymentStage.stageName);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['execute-api:Invoke'], resources: [stageArn] }),
    );

    this.instance = new Instance(this, 'Instance', {
      vpc: props.vpc,
      ...(props.subnets ? { vpcSubnets: props.subnets } : {}),
      instanceType: props.instanceType ?? InstanceType.of(InstanceClass.T4G, InstanceSize.MICRO),
      machineImage: MachineImage.latestAmazonLinux2023({ cpuType: AmazonLinuxCpuType.ARM_64 }),
      securityGroup: this.securityGroup,
      role: this.role,
      associatePublicIpAddress: false,
      httpTokens: HttpTokens.REQUIRED,
      httpPutResponseHopLimit: 1,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/xvda',
          volume: BlockDeviceVolume.ebs(16, {
            encrypted: true,
            volumeType: EbsDeviceVolumeType.GP3,
            deleteOnTermination: true,
          }),
        },
      ],
    });

    acknowledge(this.role, {
      id: managedPolicyFinding('AmazonSSMManagedInstanceCore'),
      reason:
        'The only managed policy of the host: the permissions SSM Agent needs for Session Manager, maintained by AWS as the agent changes; nothing else is granted through it.',
    });
    acknowledge(this.role, {
      id: wildcardResourceFinding(this, stageArn),
      reason:
        'Operators call every route of this API, on its one stage only (execute-api ARN <api>/<stage>/*/*); no other API.',
    });
    acknowledge(this.instance, {
      id: 'AwsSolutions-EC29',
      reason:
        'The admin host is stateless and disposable (no data, rebuilt from this stack); termination protection would block the stack updates that replace it.',
    });
  }
}
