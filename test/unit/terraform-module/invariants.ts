import type { Json, JsonObject, TerraformModule } from './hcl';
import { blocks, declared, strings } from './hcl';

/**
 * Security invariants of the per-tenant module, as pure functions over its parsed HCL. Each returns
 * the violations it finds (empty: the invariant holds), so a test can show both that the module
 * satisfies it and that a copy with the invariant removed does not.
 */
export type Invariant = (module: TerraformModule) => string[];

const ref = (type: string, name: string, attribute: string): string => `\${${type}.${name}.${attribute}}`;

/** `${aws_s3_bucket.<name>.id}` or `.bucket`: the attribute a bucket sub-resource points at. */
const isBucketRef = (value: string | undefined, bucket: string): boolean =>
  value === ref('aws_s3_bucket', bucket, 'id') || value === ref('aws_s3_bucket', bucket, 'bucket');

const buckets = (module: TerraformModule): string[] => declared(module, 'aws_s3_bucket').map((b) => b.name);

/** Sub-resources (`aws_s3_bucket_<x>`) that configure the given bucket. */
const configOf = (module: TerraformModule, type: string, bucket: string): JsonObject[] =>
  declared(module, type)
    .map((b) => b.body)
    .filter((body) => isBucketRef(typeof body.bucket === 'string' ? body.bucket : undefined, bucket));

/** The `aws_iam_policy_document` a `policy = data.aws_iam_policy_document.<x>.json` attribute names. */
function policyDocument(module: TerraformModule, expression: unknown): JsonObject | undefined {
  if (typeof expression !== 'string') return undefined;
  const match = /^\$\{data\.aws_iam_policy_document\.([A-Za-z0-9_-]+)\.json\}$/.exec(expression);
  if (!match) return undefined;
  return declared(module, 'aws_iam_policy_document', 'data').find((d) => d.name === match[1])?.body;
}

const statements = (doc: JsonObject | undefined): JsonObject[] => blocks(doc?.statement);

const effectOf = (statement: JsonObject): string =>
  typeof statement.effect === 'string' ? statement.effect : 'Allow';

const conditions = (statement: JsonObject): JsonObject[] => blocks(statement.condition);

/** Whether an attribute (a literal list or one expression such as `compact([...])`) names `reference`. */
const mentions = (value: Json | undefined, reference: string): boolean =>
  new RegExp(`(^|[^A-Za-z0-9_.])${reference.replace(/\./g, '\\.')}($|[^A-Za-z0-9_])`).test(
    JSON.stringify(value ?? null),
  );

const sidOf = (statement: JsonObject, index: number): string =>
  typeof statement.sid === 'string' ? statement.sid : `#${index}`;

export const bucketEncryptedWithOwnKey: Invariant = (module) => {
  const keys = declared(module, 'aws_kms_key').map((k) => ref('aws_kms_key', k.name, 'arn'));
  return buckets(module).flatMap((bucket) => {
    const ok = configOf(module, 'aws_s3_bucket_server_side_encryption_configuration', bucket).some((config) =>
      blocks(config.rule).some(
        (rule) =>
          rule.bucket_key_enabled === true &&
          blocks(rule.apply_server_side_encryption_by_default).some(
            (d) =>
              d.sse_algorithm === 'aws:kms' &&
              typeof d.kms_master_key_id === 'string' &&
              keys.includes(d.kms_master_key_id),
          ),
      ),
    );
    return ok ? [] : [`bucket ${bucket}: not encrypted with aws:kms, the module's own key and a bucket key`];
  });
};

export const kmsKeyRotationOn: Invariant = (module) => {
  const keys = declared(module, 'aws_kms_key');
  if (keys.length === 0) return ['no aws_kms_key: the tenant has no key of its own'];
  return keys
    .filter((k) => k.body.enable_key_rotation !== true)
    .map((k) => `kms key ${k.name}: rotation off`);
};

export const publicAccessBlocked: Invariant = (module) => {
  const flags = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];
  return buckets(module).flatMap((bucket) => {
    const ok = configOf(module, 'aws_s3_bucket_public_access_block', bucket).some((b) =>
      flags.every((flag) => b[flag] === true),
    );
    return ok ? [] : [`bucket ${bucket}: public access block missing or not all four settings true`];
  });
};

export const versioningAndOwnershipEnforced: Invariant = (module) =>
  buckets(module).flatMap((bucket) => {
    const violations: string[] = [];
    const versioned = configOf(module, 'aws_s3_bucket_versioning', bucket).some((v) =>
      blocks(v.versioning_configuration).some((c) => c.status === 'Enabled'),
    );
    if (!versioned) violations.push(`bucket ${bucket}: versioning not enabled`);
    const enforced = configOf(module, 'aws_s3_bucket_ownership_controls', bucket).some((o) =>
      blocks(o.rule).some((r) => r.object_ownership === 'BucketOwnerEnforced'),
    );
    if (!enforced) violations.push(`bucket ${bucket}: object ownership not BucketOwnerEnforced`);
    return violations;
  });

export const lifecycleArchivesAndExpires: Invariant = (module) =>
  buckets(module).flatMap((bucket) => {
    const rules = configOf(module, 'aws_s3_bucket_lifecycle_configuration', bucket)
      .flatMap((l) => blocks(l.rule))
      .filter((r) => r.status === 'Enabled');
    const violations: string[] = [];
    const archives = rules.some((r) =>
      blocks(r.transition).some((t) => t.storage_class === 'GLACIER' && t.days !== undefined),
    );
    if (!archives) violations.push(`bucket ${bucket}: no enabled lifecycle transition to GLACIER`);
    const expires = rules.some((r) =>
      blocks(r.noncurrent_version_expiration).some((e) => e.noncurrent_days !== undefined),
    );
    if (!expires) violations.push(`bucket ${bucket}: noncurrent versions never expire`);
    return violations;
  });

/** Statements whose principal is everyone: what a bucket policy uses to deny whole classes of callers. */
const isEveryone = (statement: JsonObject): boolean =>
  blocks(statement.principals).some((p) => p.type === '*' && strings(p.identifiers).includes('*'));

const coversBucketAndObjects = (statement: JsonObject, bucket: string): boolean => {
  const resources = strings(statement.resources);
  const arn = ref('aws_s3_bucket', bucket, 'arn');
  return resources.includes(arn) && resources.includes(`${arn}/*`);
};

const bucketPolicies = (module: TerraformModule, bucket: string): JsonObject[] =>
  configOf(module, 'aws_s3_bucket_policy', bucket).flatMap((p) => {
    const doc = policyDocument(module, p.policy);
    return doc ? [doc] : [];
  });

export const bucketPolicyDeniesInsecureTransport: Invariant = (module) =>
  buckets(module).flatMap((bucket) => {
    const ok = bucketPolicies(module, bucket).some((doc) =>
      statements(doc).some(
        (s) =>
          effectOf(s) === 'Deny' &&
          isEveryone(s) &&
          strings(s.actions).includes('s3:*') &&
          coversBucketAndObjects(s, bucket) &&
          conditions(s).some(
            (c) =>
              c.test === 'Bool' &&
              c.variable === 'aws:SecureTransport' &&
              strings(c.values).join() === 'false',
          ),
      ),
    );
    return ok ? [] : [`bucket ${bucket}: bucket policy does not deny every request made without TLS`];
  });

export const bucketPolicyDeniesOtherPrincipals: Invariant = (module) => {
  const tenantRoles = declared(module, 'aws_iam_role').map((r) => `aws_iam_role.${r.name}.arn`);
  return buckets(module).flatMap((bucket) => {
    const ok = bucketPolicies(module, bucket).some((doc) =>
      statements(doc).some(
        (s) =>
          effectOf(s) === 'Deny' &&
          isEveryone(s) &&
          strings(s.actions).includes('s3:*') &&
          coversBucketAndObjects(s, bucket) &&
          conditions(s).some(
            (c) =>
              typeof c.test === 'string' &&
              ['ArnNotEquals', 'StringNotEquals'].includes(c.test) &&
              c.variable === 'aws:PrincipalArn' &&
              tenantRoles.some((role) => mentions(c.values, role)) &&
              !JSON.stringify(c.values ?? null).includes('*'),
          ),
      ),
    );
    return ok
      ? []
      : [`bucket ${bucket}: bucket policy does not deny principals other than the tenant's role`];
  });
};

/**
 * The tenant role's policies name only this module's bucket (its ARN, or object ARNs under it) and
 * this module's key; no wildcard action, no `Not*` element, no managed policy attached on the side.
 */
export const tenantRolePolicyScoped: Invariant = (module) => {
  const violations: string[] = [];
  const bucketArns = buckets(module).map((b) => ref('aws_s3_bucket', b, 'arn'));
  const keyArns = declared(module, 'aws_kms_key').map((k) => ref('aws_kms_key', k.name, 'arn'));
  const tiedToTenant = (resource: string): boolean =>
    keyArns.includes(resource) ||
    bucketArns.some((arn) => resource === arn || (resource.startsWith(`${arn}/`) && resource !== `${arn}/`));

  const rolePolicies = declared(module, 'aws_iam_role_policy');
  if (rolePolicies.length === 0)
    violations.push('no aws_iam_role_policy: the tenant role has no generated policy');
  for (const { name, body } of rolePolicies) {
    const doc = policyDocument(module, body.policy);
    if (!doc) {
      violations.push(`role policy ${name}: not generated from an aws_iam_policy_document in this module`);
      continue;
    }
    statements(doc).forEach((s, i) => {
      const where = `role policy ${name} statement ${sidOf(s, i)}`;
      if (effectOf(s) !== 'Allow') return;
      for (const key of ['not_actions', 'not_resources', 'not_principals']) {
        if (s[key] !== undefined) violations.push(`${where}: uses ${key}`);
      }
      const resources = strings(s.resources);
      if (resources.length === 0) violations.push(`${where}: no resources`);
      for (const r of resources.filter((r) => !tiedToTenant(r))) violations.push(`${where}: resource ${r}`);
      for (const a of strings(s.actions).filter((a) => a.includes('*')))
        violations.push(`${where}: action ${a}`);
    });
  }
  for (const { name } of declared(module, 'aws_iam_role_policy_attachment')) {
    violations.push(`managed policy attachment ${name}: a managed policy is not generated for the tenant`);
  }
  for (const { name, body } of declared(module, 'aws_iam_role')) {
    if (body.managed_policy_arns !== undefined) violations.push(`role ${name}: managed_policy_arns set`);
  }
  return violations;
};

/** Every IAM/KMS/S3 policy is an aws_iam_policy_document, so the checks here can read it. */
export const policiesAreInspectable: Invariant = (module) => {
  const violations: string[] = [];
  const resourceTypes = module.resource;
  if (typeof resourceTypes !== 'object' || resourceTypes === null || Array.isArray(resourceTypes)) return [];
  for (const type of Object.keys(resourceTypes)) {
    for (const { name, body } of declared(module, type)) {
      for (const attribute of ['policy', 'assume_role_policy']) {
        const value = body[attribute];
        if (value !== undefined && !policyDocument(module, value)) {
          violations.push(`${type}.${name}.${attribute}: not a data.aws_iam_policy_document of this module`);
        }
      }
    }
  }
  return violations;
};

/** No statement of any policy document allows or denies the bare action "*". */
export const noStarAction: Invariant = (module) =>
  declared(module, 'aws_iam_policy_document', 'data').flatMap(({ name, body }) =>
    statements(body).flatMap((s, i) =>
      strings(s.actions).concat(strings(s.not_actions)).includes('*')
        ? [`policy document ${name} statement ${sidOf(s, i)}: action "*"`]
        : [],
    ),
  );

export const instancesRequireImdsV2: Invariant = (module) =>
  declared(module, 'aws_instance').flatMap(({ name, body }) =>
    blocks(body.metadata_options).some((m) => m.http_tokens === 'required' && m.http_endpoint !== 'disabled')
      ? []
      : [`instance ${name}: IMDSv2 not required (metadata_options.http_tokens)`],
  );

export const instancesHaveNoKeyPairOrPublicIp: Invariant = (module) =>
  declared(module, 'aws_instance').flatMap(({ name, body }) => {
    const violations: string[] = [];
    if (body.key_name !== undefined) violations.push(`instance ${name}: key_name set`);
    if (body.associate_public_ip_address !== false) violations.push(`instance ${name}: may get a public IP`);
    return violations;
  });

export const instancesHaveEncryptedRootVolume: Invariant = (module) =>
  declared(module, 'aws_instance').flatMap(({ name, body }) =>
    blocks(body.root_block_device).some((d) => d.encrypted === true)
      ? []
      : [`instance ${name}: root volume not encrypted`],
  );

/** Ingress only on the notebook port, only from configured CIDRs; no inline or legacy rules. */
export const notebookIngressOnly: Invariant = (module) => {
  const violations: string[] = [];
  for (const { name, body } of declared(module, 'aws_vpc_security_group_ingress_rule')) {
    if (body.from_port !== '${var.notebook_port}' || body.to_port !== '${var.notebook_port}') {
      violations.push(`ingress rule ${name}: not limited to var.notebook_port`);
    }
    if (body.ip_protocol !== 'tcp') violations.push(`ingress rule ${name}: protocol is not tcp`);
    const otherSources = ['cidr_ipv6', 'prefix_list_id', 'referenced_security_group_id'].filter(
      (source) => body[source] !== undefined,
    );
    if (
      otherSources.length > 0 ||
      body.cidr_ipv4 !== '${each.value}' ||
      !mentions(body.for_each, 'local.notebook_allowed_cidrs')
    ) {
      violations.push(`ingress rule ${name}: source is not one of the configured notebook CIDRs`);
    }
  }
  for (const { name, body } of declared(module, 'aws_security_group')) {
    if (body.ingress !== undefined) violations.push(`security group ${name}: inline ingress rules`);
  }
  for (const { name } of declared(module, 'aws_security_group_rule')) {
    violations.push(`aws_security_group_rule ${name}: use aws_vpc_security_group_ingress_rule`);
  }
  return violations;
};

/** Every invariant the security review signs off, by the name the tests report. */
export const INVARIANTS: Readonly<Record<string, Invariant>> = {
  bucketEncryptedWithOwnKey,
  kmsKeyRotationOn,
  publicAccessBlocked,
  versioningAndOwnershipEnforced,
  lifecycleArchivesAndExpires,
  bucketPolicyDeniesInsecureTransport,
  bucketPolicyDeniesOtherPrincipals,
  tenantRolePolicyScoped,
  policiesAreInspectable,
  noStarAction,
  instancesRequireImdsV2,
  instancesHaveNoKeyPairOrPublicIp,
  instancesHaveEncryptedRootVolume,
  notebookIngressOnly,
};
