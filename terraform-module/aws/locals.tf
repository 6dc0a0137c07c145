data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

# The role the run is executing as (the workspace's TFC_AWS_RUN_ROLE_ARN in HCP Terraform),
# resolved from its STS session ARN to the IAM role ARN that bucket policy conditions can match.
data "aws_iam_session_context" "current" {
  arn = data.aws_caller_identity.current.arn
}

locals {
  # A fixed prefix keeps names clear of S3's reserved prefixes (xn--, sthree-) and easy to spot;
  # the account id makes the globally unique bucket name hard to squat.
  name        = "tcp-${var.tenant_code}-${var.environment}"
  bucket_name = "${local.name}-${data.aws_caller_identity.current.account_id}"

  instance_types = {
    small  = "t3.large"
    medium = "m6i.2xlarge"
    large  = "r6i.4xlarge"
  }
  instance_type = local.instance_types[var.tier]

  # "" or "<prefix>/": appended to the bucket ARN, so object grants can never leave the bucket.
  object_prefix = var.s3_prefix == "" ? "" : "${var.s3_prefix}/"

  provisioner_role_arn = data.aws_iam_session_context.current.issuer_arn

  notebook_allowed_cidrs = toset(compact(split(",", replace(var.notebook_allowed_cidrs, " ", ""))))
  egress_https_cidrs     = toset(compact(split(",", replace(var.egress_https_cidrs, " ", ""))))
}
