resource "aws_kms_key" "tenant" {
  description             = "Tenant ${var.tenant_code} (${var.environment}): sandbox bucket and volumes"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "tenant" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.tenant.key_id
}

# The account statement is the AWS default key policy: it hands access control to IAM, so only
# principals whose IAM policies name this key (the tenant role, operators) can use it. Without it
# the key would become unmanageable, and KMS refuses policies that lock out their creator.
data "aws_iam_policy_document" "kms" {
  statement {
    sid       = "EnableIamPolicies"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"] # In a key policy "*" means this key.

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }
}

resource "aws_s3_bucket" "tenant" {
  bucket        = local.bucket_name
  force_destroy = var.force_destroy
}

resource "aws_s3_bucket_ownership_controls" "tenant" {
  bucket = aws_s3_bucket.tenant.id

  rule {
    # Disables ACLs: access is decided by policies alone.
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "tenant" {
  bucket = aws_s3_bucket.tenant.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "tenant" {
  bucket = aws_s3_bucket.tenant.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "tenant" {
  bucket = aws_s3_bucket.tenant.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.tenant.arn
    }
    # One data key per bucket instead of per object: far fewer KMS calls (and cost).
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "tenant" {
  bucket = aws_s3_bucket.tenant.id

  # Lifecycle rules on a bucket without versioning enabled reject noncurrent-version actions.
  depends_on = [aws_s3_bucket_versioning.tenant]

  rule {
    id     = "archive-and-expire"
    status = "Enabled"

    filter {}

    # S3 counts these days from the object's last write, not its last read.
    transition {
      days          = var.glacier_transition_days
      storage_class = "GLACIER"
    }

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }
}

resource "aws_s3_bucket_policy" "tenant" {
  bucket = aws_s3_bucket.tenant.id
  policy = data.aws_iam_policy_document.bucket.json

  # S3 evaluates a new bucket policy against the public access block; apply the block first.
  depends_on = [aws_s3_bucket_public_access_block.tenant]
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid     = "DenyInsecureTransport"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.tenant.arn,
      "${aws_s3_bucket.tenant.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # Even an account principal with s3:* on "*" in its IAM policy is refused. The run role stays on
  # the list because Terraform must keep reading and, on destroy, emptying the bucket; the next
  # statement keeps it away from the data itself.
  statement {
    sid     = "DenyPrincipalsOutsideTenant"
    effect  = "Deny"
    actions = ["s3:*"]
    resources = [
      aws_s3_bucket.tenant.arn,
      "${aws_s3_bucket.tenant.arn}/*",
    ]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values = compact([
        aws_iam_role.tenant.arn,
        var.admin_role_arn,
        local.provisioner_role_arn,
      ])
    }
  }

  statement {
    sid    = "DenyProvisionerDataAccess"
    effect = "Deny"
    actions = [
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:PutObject",
    ]
    resources = ["${aws_s3_bucket.tenant.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:PrincipalArn"
      values   = [local.provisioner_role_arn]
    }
  }
}
