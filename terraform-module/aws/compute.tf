data "aws_subnet" "notebook" {
  count = var.enable_compute ? 1 : 0

  id = var.subnet_id
}

resource "aws_security_group" "notebook" {
  count = var.enable_compute ? 1 : 0

  name        = "${local.name}-notebook"
  description = "Notebook of tenant ${var.tenant_code}: notebook port from allowed CIDRs only"
  vpc_id      = data.aws_subnet.notebook[0].vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "notebook" {
  for_each = var.enable_compute ? local.notebook_allowed_cidrs : toset([])

  security_group_id = aws_security_group.notebook[0].id
  description       = "JupyterHub"
  ip_protocol       = "tcp"
  from_port         = var.notebook_port
  to_port           = var.notebook_port
  cidr_ipv4         = each.value
}

# HTTPS out only: the S3 and KMS APIs (or their VPC endpoints) and package mirrors.
resource "aws_vpc_security_group_egress_rule" "https" {
  for_each = var.enable_compute ? local.egress_https_cidrs : toset([])

  security_group_id = aws_security_group.notebook[0].id
  description       = "HTTPS"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = each.value
}

resource "aws_instance" "notebook" {
  count = var.enable_compute ? 1 : 0

  ami                         = var.ami_id
  instance_type               = local.instance_type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [aws_security_group.notebook[0].id]
  iam_instance_profile        = aws_iam_instance_profile.tenant.name
  associate_public_ip_address = false
  # No key_name: there is no SSH key to leak; operators use SSM Session Manager if the image allows.

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
    # 1 keeps the role credentials away from anything one network hop further (e.g. containers).
    http_put_response_hop_limit = 1
  }

  root_block_device {
    encrypted   = true
    kms_key_id  = aws_kms_key.tenant.arn
    volume_type = "gp3"
    volume_size = var.root_volume_size_gb
  }

  # Non-secret settings for the golden image's JupyterHub start-up (see docs/terraform-module.md).
  user_data = <<-EOT
    #cloud-config
    write_files:
      - path: /etc/tenant-sandbox.env
        permissions: "0644"
        content: |
          TENANT_CODE=${var.tenant_code}
          TENANT_ENVIRONMENT=${var.environment}
          TENANT_BUCKET=${aws_s3_bucket.tenant.bucket}
          TENANT_PREFIX=${local.object_prefix}
          AWS_REGION=${data.aws_region.current.region}
          NOTEBOOK_PORT=${var.notebook_port}
  EOT

  tags = {
    Name = "${local.name}-notebook"
  }
}

check "notebook_reachable" {
  assert {
    condition     = !var.enable_compute || length(local.notebook_allowed_cidrs) > 0
    error_message = "notebook_allowed_cidrs is empty: the notebook instance is created but nobody can reach its port."
  }
}
