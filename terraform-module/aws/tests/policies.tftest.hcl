# Renders the real IAM policy documents with the AWS provider but never calls AWS: every data
# source that would reach the API and every managed resource is overridden. Needs the provider
# (terraform init with registry or mirror access), not credentials.

provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}

override_data {
  target = data.aws_caller_identity.current
  values = {
    account_id = "123456789012"
    arn        = "arn:aws:sts::123456789012:assumed-role/tfc-run/run-abc"
  }
}

override_data {
  target = data.aws_iam_session_context.current
  values = { issuer_arn = "arn:aws:iam::123456789012:role/tfc-run" }
}

override_data {
  target = data.aws_partition.current
  values = { partition = "aws" }
}

override_data {
  target = data.aws_region.current
  values = { region = "eu-west-1" }
}

override_data {
  target = data.aws_subnet.notebook
  values = { vpc_id = "vpc-0123456789abcdef0" }
}

override_resource {
  target = aws_s3_bucket.tenant
  values = {
    id     = "tcp-acme-lab-dev-123456789012"
    bucket = "tcp-acme-lab-dev-123456789012"
    arn    = "arn:aws:s3:::tcp-acme-lab-dev-123456789012"
  }
}

override_resource {
  target = aws_kms_key.tenant
  values = {
    key_id = "1234abcd-12ab-34cd-56ef-1234567890ab"
    arn    = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
  }
}

override_resource {
  target = aws_iam_role.tenant
  values = {
    id   = "tcp-acme-lab-dev-sandbox"
    name = "tcp-acme-lab-dev-sandbox"
    arn  = "arn:aws:iam::123456789012:role/tcp-acme-lab-dev-sandbox"
  }
}

override_resource {
  target = aws_iam_instance_profile.tenant
  values = { name = "tcp-acme-lab-dev-sandbox" }
}

override_resource {
  target = aws_instance.notebook
  values = {
    id         = "i-0123456789abcdef0"
    private_ip = "10.20.30.40"
  }
}

override_resource {
  target = aws_kms_alias.tenant
}

override_resource {
  target = aws_s3_bucket_ownership_controls.tenant
}

override_resource {
  target = aws_s3_bucket_public_access_block.tenant
}

override_resource {
  target = aws_s3_bucket_versioning.tenant
}

override_resource {
  target = aws_s3_bucket_server_side_encryption_configuration.tenant
}

override_resource {
  target = aws_s3_bucket_lifecycle_configuration.tenant
}

override_resource {
  target = aws_s3_bucket_policy.tenant
}

override_resource {
  target = aws_iam_role_policy.tenant
}

override_resource {
  target = aws_security_group.notebook
}

override_resource {
  target = aws_vpc_security_group_ingress_rule.notebook
}

override_resource {
  target = aws_vpc_security_group_egress_rule.https
}

variables {
  tenant_code            = "acme-lab"
  tier                   = "medium"
  environment            = "dev"
  ami_id                 = "ami-0123456789abcdef0"
  subnet_id              = "subnet-0123456789abcdef0"
  notebook_allowed_cidrs = "10.0.0.0/16, 10.1.0.0/16"
  s3_prefix              = "team/a"
  admin_role_arn         = "arn:aws:iam::123456789012:role/ops-break-glass"
}

run "tenant_policy_is_scoped_to_the_tenant" {
  command = apply

  assert {
    condition = alltrue([
      for s in jsondecode(data.aws_iam_policy_document.tenant.json).Statement : alltrue([
        for r in flatten([s.Resource]) :
        r == "arn:aws:s3:::tcp-acme-lab-dev-123456789012" ||
        startswith(r, "arn:aws:s3:::tcp-acme-lab-dev-123456789012/team/a/") ||
        r == "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
      ])
    ])
    error_message = "Tenant policy names a resource outside the tenant's bucket, prefix and key."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(data.aws_iam_policy_document.tenant.json).Statement :
      alltrue([for a in flatten([s.Action]) : !strcontains(a, "*")])
    ])
    error_message = "Tenant policy contains a wildcard action."
  }

  assert {
    condition     = output.bucket_name == "tcp-acme-lab-dev-123456789012"
    error_message = "Bucket name is not derived from tenant code, environment and account."
  }

  assert {
    condition     = aws_instance.notebook[0].instance_type == "m6i.2xlarge"
    error_message = "Tier medium does not map to its instance type."
  }

  assert {
    condition     = output.notebook_url == "https://10.20.30.40:8000/"
    error_message = "notebook_url is not built from the private IP and port."
  }

  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.notebook) == 2
    error_message = "Expected one ingress rule per allowed CIDR."
  }
}

run "bucket_policy_denies_plain_http_and_other_principals" {
  command = apply

  assert {
    condition = anytrue([
      for s in jsondecode(data.aws_iam_policy_document.bucket.json).Statement :
      s.Effect == "Deny" && try(s.Condition.Bool["aws:SecureTransport"], "") == "false"
    ])
    error_message = "Bucket policy does not deny requests without TLS."
  }

  assert {
    condition = anytrue([
      for s in jsondecode(data.aws_iam_policy_document.bucket.json).Statement :
      s.Effect == "Deny" && try(toset(s.Condition.ArnNotEquals["aws:PrincipalArn"]), toset([])) == toset([
        "arn:aws:iam::123456789012:role/tcp-acme-lab-dev-sandbox",
        "arn:aws:iam::123456789012:role/ops-break-glass",
        "arn:aws:iam::123456789012:role/tfc-run",
      ])
    ])
    error_message = "Bucket policy must deny every principal but the tenant role, the admin role and the run role."
  }
}

run "compute_can_be_disabled" {
  command = apply

  variables {
    enable_compute = false
    ami_id         = null
    subnet_id      = null
  }

  assert {
    condition     = length(aws_instance.notebook) == 0 && output.instance_id == null && output.notebook_url == null
    error_message = "enable_compute = false must create no instance and output nulls."
  }
}

run "compute_requires_an_image" {
  command = plan

  variables {
    ami_id = null
  }

  expect_failures = [var.ami_id]
}

run "prefix_cannot_carry_wildcards" {
  command = plan

  variables {
    s3_prefix = "team/*"
  }

  expect_failures = [var.s3_prefix]
}

run "notebook_cannot_be_open_to_the_world" {
  command = plan

  variables {
    notebook_allowed_cidrs = "0.0.0.0/0"
  }

  expect_failures = [var.notebook_allowed_cidrs]
}

run "notebook_cannot_be_open_to_the_world_in_halves" {
  command = plan

  variables {
    notebook_allowed_cidrs = "0.0.0.0/1,128.0.0.0/1"
  }

  expect_failures = [var.notebook_allowed_cidrs]
}
