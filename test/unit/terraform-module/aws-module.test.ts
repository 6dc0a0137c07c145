import type { JsonObject, TerraformModule } from './hcl';
import { AWS_MODULE_DIR, blocks, declared, isObject, loadModule, mustFind } from './hcl';
import type { Invariant } from './invariants';
import { INVARIANTS } from './invariants';

/** A way to break one invariant in a copy of the module, as a careless edit would. */
interface Breakage {
  invariant: string;
  breaks: string;
  mutate: (module: TerraformModule) => void;
}

const first = (list: JsonObject[], what: string): JsonObject => {
  const [item] = list;
  if (!item) throw new Error(`no ${what}`);
  return item;
};

const statementBySid = (module: TerraformModule, document: string, sid: string): JsonObject => {
  const doc = mustFind(module, 'aws_iam_policy_document', document, 'data');
  const found = blocks(doc.statement).find((s) => s.sid === sid);
  if (!found) throw new Error(`no statement ${sid} in ${document}`);
  return found;
};

const removeStatement = (module: TerraformModule, document: string, sid: string): void => {
  const doc = mustFind(module, 'aws_iam_policy_document', document, 'data');
  doc.statement = blocks(doc.statement).filter((s) => s.sid !== sid);
};

const sseDefault = (module: TerraformModule): JsonObject => {
  const config = mustFind(module, 'aws_s3_bucket_server_side_encryption_configuration', 'tenant');
  return first(blocks(first(blocks(config.rule), 'rule').apply_server_side_encryption_by_default), 'default');
};

const notebook = (module: TerraformModule): JsonObject => mustFind(module, 'aws_instance', 'notebook');

const BREAKAGES: Breakage[] = [
  {
    invariant: 'bucketEncryptedWithOwnKey',
    breaks: 'SSE-S3 instead of KMS',
    mutate: (m) => {
      sseDefault(m).sse_algorithm = 'AES256';
    },
  },
  {
    invariant: 'bucketEncryptedWithOwnKey',
    breaks: 'a key from outside the module',
    mutate: (m) => {
      sseDefault(m).kms_master_key_id = '${var.shared_kms_key_arn}';
    },
  },
  {
    invariant: 'bucketEncryptedWithOwnKey',
    breaks: 'no bucket key',
    mutate: (m) => {
      const config = mustFind(m, 'aws_s3_bucket_server_side_encryption_configuration', 'tenant');
      delete first(blocks(config.rule), 'rule').bucket_key_enabled;
    },
  },
  {
    invariant: 'kmsKeyRotationOn',
    breaks: 'rotation off',
    mutate: (m) => {
      mustFind(m, 'aws_kms_key', 'tenant').enable_key_rotation = false;
    },
  },
  {
    invariant: 'publicAccessBlocked',
    breaks: 'restrict_public_buckets false',
    mutate: (m) => {
      mustFind(m, 'aws_s3_bucket_public_access_block', 'tenant').restrict_public_buckets = false;
    },
  },
  {
    invariant: 'publicAccessBlocked',
    breaks: 'the block attached to another bucket',
    mutate: (m) => {
      mustFind(m, 'aws_s3_bucket_public_access_block', 'tenant').bucket = '${var.other_bucket}';
    },
  },
  {
    invariant: 'versioningAndOwnershipEnforced',
    breaks: 'versioning suspended',
    mutate: (m) => {
      const v = mustFind(m, 'aws_s3_bucket_versioning', 'tenant');
      first(blocks(v.versioning_configuration), 'versioning_configuration').status = 'Suspended';
    },
  },
  {
    invariant: 'versioningAndOwnershipEnforced',
    breaks: 'ACLs back on',
    mutate: (m) => {
      const o = mustFind(m, 'aws_s3_bucket_ownership_controls', 'tenant');
      first(blocks(o.rule), 'rule').object_ownership = 'ObjectWriter';
    },
  },
  {
    invariant: 'lifecycleArchivesAndExpires',
    breaks: 'no Glacier transition',
    mutate: (m) => {
      const l = mustFind(m, 'aws_s3_bucket_lifecycle_configuration', 'tenant');
      delete first(blocks(l.rule), 'rule').transition;
    },
  },
  {
    invariant: 'lifecycleArchivesAndExpires',
    breaks: 'noncurrent versions kept forever',
    mutate: (m) => {
      const l = mustFind(m, 'aws_s3_bucket_lifecycle_configuration', 'tenant');
      delete first(blocks(l.rule), 'rule').noncurrent_version_expiration;
    },
  },
  {
    invariant: 'bucketPolicyDeniesInsecureTransport',
    breaks: 'TLS statement removed',
    mutate: (m) => removeStatement(m, 'bucket', 'DenyInsecureTransport'),
  },
  {
    invariant: 'bucketPolicyDeniesInsecureTransport',
    breaks: 'TLS statement limited to the bucket, not its objects',
    mutate: (m) => {
      statementBySid(m, 'bucket', 'DenyInsecureTransport').resources = ['${aws_s3_bucket.tenant.arn}'];
    },
  },
  {
    invariant: 'bucketPolicyDeniesOtherPrincipals',
    breaks: 'principal deny removed',
    mutate: (m) => removeStatement(m, 'bucket', 'DenyPrincipalsOutsideTenant'),
  },
  {
    invariant: 'bucketPolicyDeniesOtherPrincipals',
    breaks: 'tenant role no longer the one let through',
    mutate: (m) => {
      const s = statementBySid(m, 'bucket', 'DenyPrincipalsOutsideTenant');
      first(blocks(s.condition), 'condition').values = ['${var.admin_role_arn}'];
    },
  },
  {
    invariant: 'tenantRolePolicyScoped',
    breaks: 'object access on every bucket',
    mutate: (m) => {
      statementBySid(m, 'tenant', 'ReadWriteTenantObjects').resources = ['arn:aws:s3:::*/*'];
    },
  },
  {
    invariant: 'tenantRolePolicyScoped',
    breaks: 'resource "*"',
    mutate: (m) => {
      statementBySid(m, 'tenant', 'UseTenantKeyThroughS3').resources = ['*'];
    },
  },
  {
    invariant: 'tenantRolePolicyScoped',
    breaks: 'another tenant bucket by name',
    mutate: (m) => {
      statementBySid(m, 'tenant', 'LocateBucket').resources = ['arn:aws:s3:::tcp-other-dev-123456789012'];
    },
  },
  {
    invariant: 'tenantRolePolicyScoped',
    breaks: 'a wildcard action',
    mutate: (m) => {
      statementBySid(m, 'tenant', 'ReadWriteTenantObjects').actions = ['s3:*'];
    },
  },
  {
    invariant: 'tenantRolePolicyScoped',
    breaks: 'a managed policy attached',
    mutate: (m) => {
      if (!isObject(m.resource)) throw new Error('no resources');
      m.resource.aws_iam_role_policy_attachment = {
        extra: [
          { role: '${aws_iam_role.tenant.name}', policy_arn: 'arn:aws:iam::aws:policy/AmazonS3FullAccess' },
        ],
      };
    },
  },
  {
    invariant: 'policiesAreInspectable',
    breaks: 'an inline jsonencode policy',
    mutate: (m) => {
      mustFind(m, 'aws_iam_role_policy', 'tenant').policy = '${jsonencode({Statement = []})}';
    },
  },
  {
    invariant: 'noStarAction',
    breaks: 'action "*" in the key policy',
    mutate: (m) => {
      statementBySid(m, 'kms', 'EnableIamPolicies').actions = ['*'];
    },
  },
  {
    invariant: 'instancesRequireImdsV2',
    breaks: 'IMDSv1 allowed',
    mutate: (m) => {
      first(blocks(notebook(m).metadata_options), 'metadata_options').http_tokens = 'optional';
    },
  },
  {
    invariant: 'instancesRequireImdsV2',
    breaks: 'metadata options removed',
    mutate: (m) => {
      delete notebook(m).metadata_options;
    },
  },
  {
    invariant: 'instancesHaveNoKeyPairOrPublicIp',
    breaks: 'an SSH key pair',
    mutate: (m) => {
      notebook(m).key_name = 'ops';
    },
  },
  {
    invariant: 'instancesHaveNoKeyPairOrPublicIp',
    breaks: 'a public IP',
    mutate: (m) => {
      notebook(m).associate_public_ip_address = true;
    },
  },
  {
    invariant: 'instancesHaveEncryptedRootVolume',
    breaks: 'unencrypted root volume',
    mutate: (m) => {
      first(blocks(notebook(m).root_block_device), 'root_block_device').encrypted = false;
    },
  },
  {
    invariant: 'notebookIngressOnly',
    breaks: 'SSH opened',
    mutate: (m) => {
      const rule = mustFind(m, 'aws_vpc_security_group_ingress_rule', 'notebook');
      rule.from_port = 22;
      rule.to_port = 22;
    },
  },
  {
    invariant: 'notebookIngressOnly',
    breaks: 'open to the world',
    mutate: (m) => {
      mustFind(m, 'aws_vpc_security_group_ingress_rule', 'notebook').cidr_ipv4 = '0.0.0.0/0';
    },
  },
];

const invariant = (name: string): Invariant => {
  const check = INVARIANTS[name];
  if (!check) throw new Error(`unknown invariant ${name}`);
  return check;
};

describe('terraform-module/aws security invariants', () => {
  let module: TerraformModule;

  beforeAll(async () => {
    module = await loadModule(AWS_MODULE_DIR);
  });

  it('declares what the invariants inspect (one bucket, key, role, instance)', () => {
    expect(declared(module, 'aws_s3_bucket').map((b) => b.name)).toEqual(['tenant']);
    expect(declared(module, 'aws_kms_key').map((b) => b.name)).toEqual(['tenant']);
    expect(declared(module, 'aws_iam_role').map((b) => b.name)).toEqual(['tenant']);
    expect(declared(module, 'aws_iam_instance_profile').map((b) => b.name)).toEqual(['tenant']);
    expect(declared(module, 'aws_instance').map((b) => b.name)).toEqual(['notebook']);
  });

  it.each(Object.keys(INVARIANTS))('holds: %s', (name) => {
    expect(invariant(name)(module)).toEqual([]);
  });

  it.each(Object.keys(INVARIANTS))('has at least one breakage proving %s can fail', (name) => {
    expect(BREAKAGES.filter((b) => b.invariant === name).length).toBeGreaterThan(0);
  });

  it.each(BREAKAGES.map((b) => [b.invariant, b.breaks, b] as const))(
    '%s reports a violation when broken: %s',
    (name, _breaks, breakage) => {
      const broken = structuredClone(module);
      breakage.mutate(broken);

      expect(invariant(name)(broken)).not.toEqual([]);
    },
  );

  it('pins the AWS provider to one major version and uses no static credentials', () => {
    const [terraform] = blocks(module.terraform);
    const [providers] = blocks(terraform?.required_providers);
    const aws = providers?.aws;
    expect(isObject(aws) && aws.source).toBe('hashicorp/aws');
    expect(isObject(aws) && aws.version).toMatch(/^~> \d+\.\d+$/);

    const providerBlocks = isObject(module.provider) ? blocks(module.provider.aws) : [];
    expect(providerBlocks).toHaveLength(1);
    for (const attribute of ['access_key', 'secret_key', 'token', 'profile', 'shared_credentials_files']) {
      expect(providerBlocks[0]).not.toHaveProperty(attribute);
    }
  });

  it('maps every tier to an instance type through a local map', () => {
    const locals: JsonObject = blocks(module.locals).reduce((all, l) => ({ ...all, ...l }), {});

    expect(Object.keys(isObject(locals.instance_types) ? locals.instance_types : {}).sort()).toEqual([
      'large',
      'medium',
      'small',
    ]);
    expect(locals.instance_type).toBe('${local.instance_types[var.tier]}');
    expect(notebook(module).instance_type).toBe('${local.instance_type}');
  });

  it('marks no output sensitive-by-name without `sensitive = true`', () => {
    const outputs = isObject(module.output) ? module.output : {};
    const risky = Object.entries(outputs).filter(
      ([name, body]) =>
        /secret|password|token|key$|credential/i.test(name) && blocks(body).some((o) => o.sensitive !== true),
    );
    expect(risky.map(([name]) => name)).toEqual([]);
  });
});
