# Stand-in for ../aws: the same names, derived the same way, from fake account data. terraform_data
# takes the place of each AWS resource so that ids are unknown until apply, as with the real ones.

locals {
  account_id = "000000000000"
  region     = coalesce(var.aws_region, "eu-west-1")

  name        = "tcp-${var.tenant_code}-${var.environment}"
  bucket_name = "${local.name}-${local.account_id}"

  instance_types = {
    small  = "t3.large"
    medium = "m6i.2xlarge"
    large  = "r6i.4xlarge"
  }
  instance_type = local.instance_types[var.tier]

  object_prefix = var.s3_prefix == "" ? "" : "${var.s3_prefix}/"

  notebook_allowed_cidrs = toset(compact(split(",", replace(var.notebook_allowed_cidrs, " ", ""))))

  kms_key_id = uuidv5("url", "https://tenant-control-plane.local/${local.name}/kms")
  # Stable per tenant, inside 10.0.0.0/16, never the network or broadcast address.
  private_ip = cidrhost("10.0.0.0/16", 1 + parseint(substr(sha256(local.name), 0, 4), 16) % 65534)
}

resource "terraform_data" "storage" {
  input = {
    bucket_name = local.bucket_name
    bucket_arn  = "arn:aws:s3:::${local.bucket_name}"
    kms_key_arn = "arn:aws:kms:${local.region}:${local.account_id}:key/${local.kms_key_id}"
    prefix      = local.object_prefix
    lifecycle = {
      glacier_transition_days            = var.glacier_transition_days
      noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
    }
  }
}

resource "terraform_data" "identity" {
  input = {
    role_arn              = "arn:aws:iam::${local.account_id}:role/${local.name}-sandbox"
    instance_profile_name = "${local.name}-sandbox"
    permissions_boundary  = var.permissions_boundary_arn
    admin_role_arn        = var.admin_role_arn
  }
}

resource "terraform_data" "notebook" {
  count = var.enable_compute ? 1 : 0

  input = {
    ami_id        = var.ami_id
    subnet_id     = var.subnet_id
    instance_type = local.instance_type
    private_ip    = local.private_ip
  }
}

check "notebook_reachable" {
  assert {
    condition     = !var.enable_compute || length(local.notebook_allowed_cidrs) > 0
    error_message = "notebook_allowed_cidrs is empty: the notebook instance is created but nobody can reach its port."
  }
}

# Fails the apply, never the plan, when fail is "true": the gate is replaced on every run
# (timestamp() is unknown until apply), so its id, and with it the postcondition, is only known
# once the other resources have been applied, as with a real provider error half-way through.
resource "terraform_data" "fail_gate" {
  count = var.fail == "true" ? 1 : 0

  triggers_replace = timestamp()
  depends_on       = [terraform_data.storage, terraform_data.identity, terraform_data.notebook]

  lifecycle {
    postcondition {
      condition     = var.fail != "true" || self.id == ""
      error_message = "Apply failed on purpose: the variable fail is \"true\". Set it to \"false\" and update the tenant to recover."
    }
  }
}
