import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { InterfaceVpcEndpoint, Vpc } from 'aws-cdk-lib/aws-ec2';
import { ManagedPolicy } from 'aws-cdk-lib/aws-iam';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { ACTIONS } from '../lambdas/core/flows';
import { TenantControlPlane, type TenantControlPlaneProps } from './tenant-control-plane';

export interface TenantControlPlaneStackProps
  extends StackProps, Omit<TenantControlPlaneProps, 'vpc' | 'executeApiEndpoint' | 'alarmTopic'> {
  /**
   * Id of an existing VPC, looked up at synthesis (`Vpc.fromLookup`): the stack then needs an explicit
   * account and region (`env`).
   * @default - a new VPC
   */
  readonly vpcId?: string;
  /**
   * Id of an existing `execute-api` interface endpoint in that VPC.
   * @default - a new endpoint
   */
  readonly executeApiVpcEndpointId?: string;
  /**
   * ARN of an existing topic the alarms notify.
   * @default - see `alarmEmail`
   */
  readonly alarmTopicArn?: string;
  /**
   * ARNs of managed policies attached to the run role of `tfc.dynamicCredentials` (added to its
   * `managedPolicies`).
   * @default - none
   */
  readonly tfcRunRoleManagedPolicyArns?: string[];
  /**
   * ARN of a managed policy set as the permissions boundary of the run role of `tfc.dynamicCredentials`.
   * @default - none
   */
  readonly tfcRunRolePermissionsBoundaryArn?: string;
}

/** The deployable control plane: one {@link TenantControlPlane} and the outputs operators need. */
export class TenantControlPlaneStack extends Stack {
  public readonly controlPlane: TenantControlPlane;

  public constructor(scope: Construct, id: string, props: TenantControlPlaneStackProps) {
    super(scope, id, props);
    const {
      vpcId,
      executeApiVpcEndpointId,
      alarmTopicArn,
      tfcRunRoleManagedPolicyArns,
      tfcRunRolePermissionsBoundaryArn,
      ...controlPlaneProps
    } = props;
    if (executeApiVpcEndpointId && !vpcId) {
      throw new Error('executeApiVpcEndpointId needs vpcId: the endpoint belongs to an existing VPC');
    }
    const dynamicCredentials = props.tfc.dynamicCredentials;
    if (!dynamicCredentials && (tfcRunRoleManagedPolicyArns?.length || tfcRunRolePermissionsBoundaryArn)) {
      throw new Error(
        'tfcRunRoleManagedPolicyArns and tfcRunRolePermissionsBoundaryArn need tfc.dynamicCredentials: they configure its run role',
      );
    }
    if (dynamicCredentials?.permissionsBoundary && tfcRunRolePermissionsBoundaryArn) {
      throw new Error(
        'set either tfc.dynamicCredentials.permissionsBoundary or tfcRunRolePermissionsBoundaryArn, not both',
      );
    }
    const managedPolicies = [
      ...(dynamicCredentials?.managedPolicies ?? []),
      ...(tfcRunRoleManagedPolicyArns ?? []).map((arn, i) =>
        ManagedPolicy.fromManagedPolicyArn(this, `TfcRunRolePolicy${i}`, arn),
      ),
    ];
    const permissionsBoundary = tfcRunRolePermissionsBoundaryArn
      ? ManagedPolicy.fromManagedPolicyArn(this, 'TfcRunRoleBoundary', tfcRunRolePermissionsBoundaryArn)
      : dynamicCredentials?.permissionsBoundary;
    const vpc = vpcId ? Vpc.fromLookup(this, 'Vpc', { vpcId }) : undefined;
    const executeApiEndpoint = executeApiVpcEndpointId
      ? InterfaceVpcEndpoint.fromInterfaceVpcEndpointAttributes(this, 'ExecuteApiEndpoint', {
          vpcEndpointId: executeApiVpcEndpointId,
          port: 443,
        })
      : undefined;
    const alarmTopic = alarmTopicArn ? Topic.fromTopicArn(this, 'AlarmTopic', alarmTopicArn) : undefined;

    this.controlPlane = new TenantControlPlane(this, 'ControlPlane', {
      ...controlPlaneProps,
      tfc: {
        ...props.tfc,
        ...(dynamicCredentials
          ? {
              dynamicCredentials: {
                ...dynamicCredentials,
                ...(managedPolicies.length > 0 ? { managedPolicies } : {}),
                ...(permissionsBoundary ? { permissionsBoundary } : {}),
              },
            }
          : {}),
      },
      ...(vpc ? { vpc } : {}),
      ...(executeApiEndpoint ? { executeApiEndpoint } : {}),
      ...(alarmTopic ? { alarmTopic } : {}),
    });

    const cp = this.controlPlane;
    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the private API (resolves inside the VPC through the execute-api endpoint)',
      value: cp.api.url,
    });
    new CfnOutput(this, 'ApiId', { value: cp.api.api.restApiId });
    new CfnOutput(this, 'ExecuteApiVpcEndpointId', { value: cp.network.executeApiEndpoint.vpcEndpointId });
    new CfnOutput(this, 'TenantTableName', { value: cp.tables.tenants.tableName });
    new CfnOutput(this, 'TfcTokenSecretArn', {
      description: 'Put the Terraform Cloud API token here (aws secretsmanager put-secret-value)',
      value: cp.tfcToken.secret.secretArn,
    });
    new CfnOutput(this, 'LifecycleTopicArn', { value: cp.lifecycleTopic.topic.topicArn });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: cp.alarms.topic.topicArn,
      description: 'Every alarm notifies this topic: subscribe on-call here (or set alarmEmail)',
    });
    for (const action of ACTIONS) {
      new CfnOutput(this, `${action[0]?.toUpperCase()}${action.slice(1)}BusName`, {
        value: cp.buses.buses[action].eventBusName,
      });
    }
    if (cp.tfcDynamicCredentials) {
      new CfnOutput(this, 'TfcRunRoleArn', {
        description:
          'Role the tenant workspaces assume through HCP Terraform dynamic credentials (set as their TFC_AWS_RUN_ROLE_ARN)',
        value: cp.tfcDynamicCredentials.role.roleArn,
      });
    }
    if (cp.adminHost) {
      new CfnOutput(this, 'AdminHostInstanceId', {
        description: 'aws ssm start-session --target <this id>',
        value: cp.adminHost.instance.instanceId,
      });
    }
  }
}
