terraform {
  # 1.9 is the first release whose validation blocks may refer to other variables.
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.x: data.aws_region exposes `region` (`name` is deprecated).
      version = "~> 6.0"
    }
  }
}

# No credentials here on purpose. In HCP Terraform / Terraform Enterprise the control plane sets
# TFC_AWS_PROVIDER_AUTH=true and TFC_AWS_RUN_ROLE_ARN on each workspace, and the run receives
# short-lived credentials for that role through OIDC. Locally the standard AWS credential chain
# applies. Static access keys are never needed.
provider "aws" {
  # null falls back to AWS_REGION / AWS_DEFAULT_REGION, so a workspace can set either.
  region = var.aws_region

  default_tags {
    tags = merge(var.tags, {
      "managed-by"  = "tenant-control-plane"
      "tenant"      = var.tenant_code
      "environment" = var.environment
    })
  }
}
