import {
  FlowLogDestination,
  FlowLogTrafficType,
  GatewayVpcEndpointAwsService,
  type IInterfaceVpcEndpoint,
  type IVpc,
  InterfaceVpcEndpoint,
  InterfaceVpcEndpointAwsService,
  type SubnetSelection,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';

export interface ControlPlaneNetworkProps {
  /**
   * The VPC holding the API's endpoint and the admin host, e.g. `Vpc.fromLookup` of a platform VPC.
   * @default - a new VPC over two Availability Zones with private isolated subnets only (no NAT, no
   * internet gateway) and flow logs
   */
  readonly vpc?: IVpc;
  /**
   * Subnets of the interface endpoints and the admin host.
   * @default - the VPC's private subnets (with egress if it has them, else isolated)
   */
  readonly subnets?: SubnetSelection;
  /**
   * An existing `execute-api` interface endpoint to reach the API through. A VPC can hold only one
   * endpoint with private DNS per service, so pass the platform's endpoint when the VPC already has one.
   * @default - a new endpoint with private DNS, open to the VPC's CIDR on 443
   */
  readonly executeApiEndpoint?: IInterfaceVpcEndpoint;
  /**
   * Whether to create the `ssm`, `ssmmessages` and `ec2messages` endpoints Session Manager needs. Turn off
   * when the VPC already has them.
   * @default true
   */
  readonly ssmEndpoints?: boolean;
  /**
   * Retention of the flow logs of a VPC this construct creates.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
}

/**
 * Where the private API is reachable and the admin host lives: a VPC (given or created without any route
 * to the internet), the `execute-api` interface endpoint, and the endpoints the admin host needs to work
 * without internet access (Session Manager, plus an S3 gateway endpoint for OS packages).
 */
export class ControlPlaneNetwork extends Construct {
  public readonly vpc: IVpc;
  public readonly subnets: SubnetSelection;
  public readonly executeApiEndpoint: IInterfaceVpcEndpoint;

  public constructor(scope: Construct, id: string, props: ControlPlaneNetworkProps = {}) {
    super(scope, id);
    this.vpc = props.vpc ?? this.createVpc(props.logRetention ?? RetentionDays.ONE_MONTH);
    this.subnets = props.subnets ?? {};

    // Open to the VPC's CIDR: internal services in the VPC are the API's callers.
    this.executeApiEndpoint =
      props.executeApiEndpoint ??
      this.acknowledgeVpcIngress(
        new InterfaceVpcEndpoint(this, 'ExecuteApiEndpoint', {
          vpc: this.vpc,
          service: InterfaceVpcEndpointAwsService.APIGATEWAY,
          subnets: this.subnets,
          privateDnsEnabled: true,
          open: true,
        }),
      );

    if (props.ssmEndpoints ?? true) {
      const services = {
        SsmEndpoint: InterfaceVpcEndpointAwsService.SSM,
        SsmMessagesEndpoint: InterfaceVpcEndpointAwsService.SSM_MESSAGES,
        Ec2MessagesEndpoint: InterfaceVpcEndpointAwsService.EC2_MESSAGES,
      };
      for (const [endpointId, service] of Object.entries(services)) {
        this.acknowledgeVpcIngress(
          new InterfaceVpcEndpoint(this, endpointId, {
            vpc: this.vpc,
            service,
            subnets: this.subnets,
            privateDnsEnabled: true,
            open: true,
          }),
        );
      }
    }
  }

  /** An endpoint's only ingress is HTTPS from the VPC's CIDR, a token cdk-nag cannot evaluate. */
  private acknowledgeVpcIngress(endpoint: InterfaceVpcEndpoint): InterfaceVpcEndpoint {
    acknowledge(endpoint, {
      id: 'AwsSolutions-EC23',
      reason:
        "The endpoint's security group allows only TCP 443 from the VPC's own CIDR block (a CloudFormation reference cdk-nag cannot evaluate), never 0.0.0.0/0.",
    });
    return endpoint;
  }

  private createVpc(logRetention: RetentionDays): Vpc {
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'private', subnetType: SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      flowLogs: {
        all: {
          destination: FlowLogDestination.toCloudWatchLogs(
            new LogGroup(this, 'FlowLogs', { retention: logRetention }),
          ),
          trafficType: FlowLogTrafficType.ALL,
        },
      },
    });
    // Amazon Linux repositories and SSM agent updates are served from S3: a free gateway endpoint
    // reaches them without a NAT.
    vpc.addGatewayEndpoint('S3Endpoint', { service: GatewayVpcEndpointAwsService.S3 });
    return vpc;
  }
}
