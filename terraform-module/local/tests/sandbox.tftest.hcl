# Offline: the module uses built-ins only. Run with `terraform init -backend=false && terraform test`.

variables {
  tenant_code            = "acme-lab"
  tier                   = "small"
  environment            = "dev"
  notebook_allowed_cidrs = "10.0.0.0/16"
}

run "names_are_derived_from_tenant_and_environment" {
  command = plan

  assert {
    condition     = output.bucket_name == "tcp-acme-lab-dev-000000000000"
    error_message = "bucket_name must be tcp-<tenant_code>-<environment>-<account id>."
  }

  assert {
    condition     = output.instance_profile_name == "tcp-acme-lab-dev-sandbox"
    error_message = "instance_profile_name must match the role name."
  }
}

run "apply_creates_a_reachable_notebook" {
  command = apply

  variables {
    tier = "large"
  }

  assert {
    condition     = can(regex("^i-[0-9a-f]{17}$", output.instance_id))
    error_message = "instance_id must look like an EC2 instance id."
  }

  assert {
    condition     = output.notebook_url == "https://${output.instance_private_ip}:8000/"
    error_message = "notebook_url must point at the private IP and the notebook port."
  }

  assert {
    condition     = can(cidrnetmask("${output.instance_private_ip}/32")) && startswith(output.instance_private_ip, "10.0.")
    error_message = "instance_private_ip must be an address in 10.0.0.0/16."
  }

  assert {
    condition     = terraform_data.notebook[0].output.instance_type == "r6i.4xlarge"
    error_message = "tier large must map to r6i.4xlarge."
  }

  assert {
    condition     = length(terraform_data.fail_gate) == 0
    error_message = "fail defaults to \"false\": no failure gate."
  }

  assert {
    condition     = output.bucket_arn == "arn:aws:s3:::tcp-acme-lab-dev-000000000000"
    error_message = "bucket_arn must be the S3 ARN of bucket_name."
  }

  assert {
    condition     = output.role_arn == "arn:aws:iam::000000000000:role/tcp-acme-lab-dev-sandbox"
    error_message = "role_arn must name the tenant's sandbox role."
  }

  assert {
    condition     = can(regex("^arn:aws:kms:eu-west-1:000000000000:key/[0-9a-f-]{36}$", output.kms_key_arn))
    error_message = "kms_key_arn must look like a KMS key ARN."
  }
}

run "compute_can_be_disabled" {
  command = apply

  variables {
    enable_compute         = false
    notebook_allowed_cidrs = ""
  }

  assert {
    condition     = output.instance_id == null && output.instance_private_ip == null && output.notebook_url == null
    error_message = "Without compute the instance outputs must be null."
  }

  assert {
    condition     = output.bucket_name == "tcp-acme-lab-dev-000000000000"
    error_message = "Storage outputs must not depend on compute."
  }
}

run "prefix_is_normalised" {
  command = plan

  variables {
    s3_prefix = "team/a"
  }

  assert {
    condition     = terraform_data.storage.input.prefix == "team/a/"
    error_message = "s3_prefix must become a single trailing-slash key prefix."
  }
}

run "fail_true_still_plans" {
  command = plan

  variables {
    fail = "true"
  }

  assert {
    condition     = length(terraform_data.fail_gate) == 1
    error_message = "fail = \"true\" must plan the failure gate."
  }
}

run "fail_true_fails_the_apply" {
  command = apply

  variables {
    fail = "true"
  }

  expect_failures = [terraform_data.fail_gate]
}

run "rejects_bad_tenant_code" {
  command = plan

  variables {
    tenant_code = "Acme_Lab"
  }

  expect_failures = [var.tenant_code]
}

run "rejects_too_short_tenant_code" {
  command = plan

  variables {
    tenant_code = "ab"
  }

  expect_failures = [var.tenant_code]
}

run "rejects_unknown_tier" {
  command = plan

  variables {
    tier = "xlarge"
  }

  expect_failures = [var.tier]
}

run "rejects_zero_days" {
  command = plan

  variables {
    glacier_transition_days            = 0
    noncurrent_version_expiration_days = 0
  }

  expect_failures = [var.glacier_transition_days, var.noncurrent_version_expiration_days]
}

run "rejects_bad_environment" {
  command = plan

  variables {
    environment = "Production-EU"
  }

  expect_failures = [var.environment]
}

run "rejects_wildcard_prefix" {
  command = plan

  variables {
    s3_prefix = "team/*"
  }

  expect_failures = [var.s3_prefix]
}

run "rejects_notebook_open_to_the_world" {
  command = plan

  variables {
    notebook_allowed_cidrs = "10.0.0.0/16,0.0.0.0/0"
  }

  expect_failures = [var.notebook_allowed_cidrs]
}

run "rejects_compute_without_image" {
  command = plan

  variables {
    ami_id = null
  }

  expect_failures = [var.ami_id]
}

run "rejects_unknown_fail_value" {
  command = plan

  variables {
    fail = "yes"
  }

  expect_failures = [var.fail]
}

run "rejects_cidrs_covering_the_whole_address_space" {
  command = plan

  variables {
    notebook_allowed_cidrs = "0.0.0.0/1,128.0.0.0/1"
  }

  expect_failures = [var.notebook_allowed_cidrs]
}

run "rejects_cidrs_covering_more_than_the_configured_share" {
  command = plan

  variables {
    # Two /8s: twice the default share (one /8, 1/256 of the IPv4 space).
    notebook_allowed_cidrs = "10.0.0.0/8, 11.0.0.0/8"
  }

  expect_failures = [var.notebook_allowed_cidrs]
}

run "accepts_cidrs_within_the_configured_share" {
  command = plan

  variables {
    notebook_allowed_cidrs = "10.0.0.0/9, 10.128.0.0/10, 192.168.1.0/24"
  }
}

run "the_share_is_configurable" {
  command = plan

  variables {
    notebook_allowed_cidrs           = "10.0.0.0/8, 11.0.0.0/8"
    notebook_allowed_cidrs_max_share = 0.0078125
  }
}
