resource "aws_iam_role" "tenant" {
  name                 = "${local.name}-sandbox"
  description          = "Sandbox role of tenant ${var.tenant_code} (${var.environment}): its own bucket and key only"
  assume_role_policy   = data.aws_iam_policy_document.tenant_trust.json
  permissions_boundary = var.permissions_boundary_arn
}

data "aws_iam_policy_document" "tenant_trust" {
  statement {
    sid     = "Ec2AssumeRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

# Generated per tenant: every resource below is this tenant's bucket, its objects (under the
# optional prefix) or its key. No wildcard actions, no "*" resource.
data "aws_iam_policy_document" "tenant" {
  statement {
    sid       = "LocateBucket"
    effect    = "Allow"
    actions   = ["s3:GetBucketLocation"]
    resources = [aws_s3_bucket.tenant.arn]
  }

  statement {
    sid    = "ListTenantObjects"
    effect = "Allow"
    actions = [
      "s3:ListBucket",
      "s3:ListBucketVersions",
      "s3:ListBucketMultipartUploads",
    ]
    resources = [aws_s3_bucket.tenant.arn]

    dynamic "condition" {
      for_each = var.s3_prefix == "" ? [] : [local.object_prefix]
      content {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = [condition.value, "${condition.value}*"]
      }
    }
  }

  statement {
    sid    = "ReadWriteTenantObjects"
    effect = "Allow"
    actions = [
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
      "s3:AbortMultipartUpload",
      "s3:ListMultipartUploadParts",
    ]
    resources = ["${aws_s3_bucket.tenant.arn}/${local.object_prefix}*"]
  }

  statement {
    sid    = "UseTenantKeyThroughS3"
    effect = "Allow"
    actions = [
      "kms:Decrypt",
      "kms:GenerateDataKey",
    ]
    resources = [aws_kms_key.tenant.arn]

    # The key serves the bucket; direct KMS calls from a notebook are not needed.
    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${data.aws_region.current.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "tenant" {
  name   = "tenant-sandbox"
  role   = aws_iam_role.tenant.id
  policy = data.aws_iam_policy_document.tenant.json
}

resource "aws_iam_instance_profile" "tenant" {
  name = "${local.name}-sandbox"
  role = aws_iam_role.tenant.name
}
