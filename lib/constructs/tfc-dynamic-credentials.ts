import { type Duration, Token } from 'aws-cdk-lib';
import {
  type IManagedPolicy,
  type IOidcProvider,
  OidcProviderNative,
  OpenIdConnectPrincipal,
  type PolicyDocument,
  Role,
} from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

/** HCP Terraform's default audience of the workload identity token for AWS. */
export const TFC_AWS_DEFAULT_AUDIENCE = 'aws.workload.identity';

/** What a platform team chooses about the run role; the control plane supplies the rest. */
export interface TfcDynamicCredentialsOptions {
  /**
   * ARN of the account's existing IAM OIDC provider for the HCP Terraform host. An account holds one
   * provider per URL: reuse it when another stack or tool already created it. Its client IDs must include
   * the audience (`aws.workload.identity`).
   * @default - a new provider
   */
  readonly existingProviderArn?: string;
  /**
   * Managed policies of the run role: what the tenant module creates and manages (see
   * docs/terraform-module.md for the list). Prefer customer-managed policies scoped to `tcp-*` names.
   * @default - none
   */
  readonly managedPolicies?: IManagedPolicy[];
  /**
   * An inline policy of the run role, for the same purpose as `managedPolicies`.
   * @default - none
   */
  readonly inlinePolicy?: PolicyDocument;
  /**
   * Permissions boundary of the run role.
   * @default - none
   */
  readonly permissionsBoundary?: IManagedPolicy;
  /**
   * Longest session of the run role. Each plan and each apply gets its own session.
   * @default Duration.hours(1)
   */
  readonly maxSessionDuration?: Duration;
}

export interface TfcDynamicCredentialsProps extends TfcDynamicCredentialsOptions {
  /** HCP Terraform / Terraform Enterprise organization whose runs may assume the role. */
  readonly organization: string;
  /**
   * Host name of HCP Terraform or the Terraform Enterprise instance: the token issuer is
   * `https://<hostname>` and the trust policy's condition keys are `<hostname>:aud` and `<hostname>:sub`.
   * @default 'app.terraform.io'
   */
  readonly hostname?: string;
  /** Workspaces whose runs may assume the role: names starting with this prefix (`tenant-prod-`). */
  readonly workspaceNamePrefix: string;
  /**
   * Audience of the workload identity token. Any other value than the default needs the workspace
   * variable `TFC_AWS_WORKLOAD_IDENTITY_AUDIENCE`, which the control plane does not set.
   * @default 'aws.workload.identity'
   */
  readonly audience?: string;
}

/**
 * HCP Terraform dynamic provider credentials for the tenant workspaces: the IAM OIDC provider of the
 * HCP Terraform host (unless the account has one) and the run role, assumable only with a workload
 * identity token of a run in this organization's workspaces named `<workspaceNamePrefix>*`.
 *
 * The role has only the permissions given in `managedPolicies` and `inlinePolicy`: none by default.
 */
export class TfcDynamicCredentials extends Construct {
  /** The OIDC provider, created or imported. */
  public readonly provider: IOidcProvider;
  /** The run role: its ARN is each tenant workspace's `TFC_AWS_RUN_ROLE_ARN`. */
  public readonly role: Role;
  /** Token subjects the role trusts (`StringLike`). */
  public readonly subjectPattern: string;

  public constructor(scope: Construct, id: string, props: TfcDynamicCredentialsProps) {
    super(scope, id);
    const hostname = props.hostname ?? 'app.terraform.io';
    const audience = props.audience ?? TFC_AWS_DEFAULT_AUDIENCE;
    checkProps(this, { ...props, hostname });

    this.provider = props.existingProviderArn
      ? OidcProviderNative.fromOidcProviderArn(this, 'Provider', props.existingProviderArn)
      : new OidcProviderNative(this, 'Provider', {
          url: `https://${hostname}`,
          clientIds: [audience],
          // No thumbprints: IAM then fetches and trusts the host's top intermediate CA itself.
        });

    // The project is a wildcard: the workspace name, unique in the organization, is what limits the
    // role. Project and workspace names cannot contain ':', so no wildcard spans into the next field.
    this.subjectPattern = `organization:${props.organization}:project:*:workspace:${props.workspaceNamePrefix}*:run_phase:*`;
    this.role = new Role(this, 'Role', {
      description: `HCP Terraform runs of ${props.organization}'s workspaces ${props.workspaceNamePrefix}* (dynamic provider credentials)`,
      assumedBy: new OpenIdConnectPrincipal(this.provider, {
        StringEquals: { [`${hostname}:aud`]: audience },
        StringLike: { [`${hostname}:sub`]: this.subjectPattern },
      }),
      ...(props.managedPolicies ? { managedPolicies: props.managedPolicies } : {}),
      ...(props.inlinePolicy ? { inlinePolicies: { TenantModule: props.inlinePolicy } } : {}),
      ...(props.permissionsBoundary ? { permissionsBoundary: props.permissionsBoundary } : {}),
      ...(props.maxSessionDuration ? { maxSessionDuration: props.maxSessionDuration } : {}),
    });
  }
}

/**
 * A wrong value here yields a role nobody can assume, or one too many workspaces can: fail synthesis
 * instead. Values that are tokens are left to deployment.
 */
function checkProps(scope: Construct, props: TfcDynamicCredentialsProps & { hostname: string }): void {
  const fail = (message: string): never => {
    throw new Error(`${scope.node.path}: ${message}`);
  };
  const literal = (value: string | undefined): value is string =>
    value !== undefined && !Token.isUnresolved(value);

  if (
    literal(props.hostname) &&
    !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i.test(props.hostname)
  ) {
    fail(
      `hostname must be a bare host name such as app.terraform.io (no scheme, port or path), got '${props.hostname}'`,
    );
  }
  if (literal(props.organization) && !/^[A-Za-z0-9_-]+$/.test(props.organization)) {
    fail(
      `organization must be a Terraform organization name (letters, digits, - and _), got '${props.organization}'`,
    );
  }
  // An empty prefix, or one with IAM wildcards, would open the role to other workspaces.
  if (literal(props.workspaceNamePrefix) && !/^[A-Za-z0-9_-]+$/.test(props.workspaceNamePrefix)) {
    fail(
      `workspaceNamePrefix must be a non-empty workspace name prefix (letters, digits, - and _), got '${props.workspaceNamePrefix}'`,
    );
  }
  if (literal(props.audience) && (props.audience === '' || /[*?]/.test(props.audience))) {
    fail(`audience must be a literal value without wildcards, got '${props.audience}'`);
  }
  if (literal(props.existingProviderArn)) {
    const expected = `oidc-provider/${props.hostname}`;
    if (!/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/.test(props.existingProviderArn)) {
      fail(`existingProviderArn must be an IAM OIDC provider ARN, got '${props.existingProviderArn}'`);
    }
    if (!props.existingProviderArn.endsWith(`:${expected}`)) {
      fail(
        `existingProviderArn must be the provider of ${props.hostname} (…:${expected}), got '${props.existingProviderArn}'`,
      );
    }
  }
}
