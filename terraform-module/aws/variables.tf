# Set by the control plane on every workspace: tenant_code, tier, environment. Everything else has
# a default or is a tenant-supplied string variable. HCP Terraform passes non-HCL variables as
# strings; Terraform converts "true"/"30" to bool/number, but not to lists, which is why the CIDR
# inputs are comma-separated strings.

variable "tenant_code" {
  type        = string
  description = "Tenant code: lowercase letters, digits and hyphens, starts with a letter, 3-32 characters."
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,31}$", var.tenant_code))
    error_message = "tenant_code must match ^[a-z][a-z0-9-]{2,31}$ (lowercase letters, digits, hyphens; starts with a letter; 3-32 characters)."
  }
}

variable "tier" {
  type        = string
  description = "Sandbox size: small, medium or large. Selects the instance type."
  default     = "small"
  nullable    = false

  validation {
    condition     = contains(["small", "medium", "large"], var.tier)
    error_message = "tier must be one of: small, medium, large."
  }
}

variable "environment" {
  type        = string
  description = "Deployment environment of the control plane (e.g. dev, staging, prod). Part of every resource name."
  nullable    = false

  validation {
    # Bounded so that "tcp-<tenant>-<environment>-<account id>" stays within S3's 63-character limit.
    condition     = can(regex("^[a-z][a-z0-9]{1,11}$", var.environment))
    error_message = "environment must be 2-12 lowercase letters or digits, starting with a letter."
  }
}

variable "aws_region" {
  type        = string
  description = "AWS region. null uses AWS_REGION / AWS_DEFAULT_REGION from the run environment."
  default     = null

  validation {
    condition     = var.aws_region == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like eu-west-1."
  }
}

variable "glacier_transition_days" {
  type        = number
  description = "Days after an object was last written before it moves to S3 Glacier Flexible Retrieval."
  default     = 90
  nullable    = false

  validation {
    condition     = var.glacier_transition_days > 0 && floor(var.glacier_transition_days) == var.glacier_transition_days
    error_message = "glacier_transition_days must be a whole number greater than 0."
  }
}

variable "noncurrent_version_expiration_days" {
  type        = number
  description = "Days after an object version becomes noncurrent before it is permanently deleted."
  default     = 30
  nullable    = false

  validation {
    condition     = var.noncurrent_version_expiration_days > 0 && floor(var.noncurrent_version_expiration_days) == var.noncurrent_version_expiration_days
    error_message = "noncurrent_version_expiration_days must be a whole number greater than 0."
  }
}

variable "s3_prefix" {
  type        = string
  description = "Optional key prefix (no leading or trailing slash) that confines the tenant role inside its bucket. Empty: the whole bucket."
  default     = ""
  nullable    = false

  validation {
    # Letters, digits and . _ - segments only: IAM wildcards (* ?) or ".." would widen the grant.
    condition     = var.s3_prefix == "" || (length(var.s3_prefix) <= 256 && can(regex("^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$", var.s3_prefix)))
    error_message = "s3_prefix must be empty or slash-separated segments of letters, digits, '.', '_' and '-' (no leading/trailing slash, no wildcards), at most 256 characters."
  }
}

variable "admin_role_arn" {
  type        = string
  description = "Optional IAM role ARN (e.g. an operator break-glass role) that may also access the tenant bucket."
  default     = null

  validation {
    condition     = var.admin_role_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$", var.admin_role_arn))
    error_message = "admin_role_arn must be an IAM role ARN (arn:aws:iam::123456789012:role/name)."
  }
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Optional ARN of a managed policy used as the permissions boundary of the tenant role."
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be an IAM policy ARN."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Let a destroy run delete the bucket with its objects. false keeps tenant data: the destroy then fails until an operator empties the bucket."
  default     = true
  nullable    = false
}

variable "kms_deletion_window_days" {
  type        = number
  description = "Waiting period before the tenant key is deleted after a destroy (7-30 days)."
  default     = 30
  nullable    = false

  validation {
    condition     = var.kms_deletion_window_days >= 7 && var.kms_deletion_window_days <= 30 && floor(var.kms_deletion_window_days) == var.kms_deletion_window_days
    error_message = "kms_deletion_window_days must be a whole number between 7 and 30."
  }
}

variable "enable_compute" {
  type        = bool
  description = "Create the notebook instance. false: storage and identity only."
  default     = true
  nullable    = false
}

variable "ami_id" {
  type        = string
  description = "ID of the golden image (JupyterHub preinstalled). Required when enable_compute is true."
  default     = null

  validation {
    condition     = var.ami_id == null ? !var.enable_compute : can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))
    error_message = "ami_id must look like ami-0123456789abcdef0, and is required when enable_compute is true."
  }
}

variable "subnet_id" {
  type        = string
  description = "Private subnet for the notebook instance. Required when enable_compute is true."
  default     = null

  validation {
    condition     = var.subnet_id == null ? !var.enable_compute : can(regex("^subnet-[0-9a-f]{8,17}$", var.subnet_id))
    error_message = "subnet_id must look like subnet-0123456789abcdef0, and is required when enable_compute is true."
  }
}

variable "notebook_port" {
  type        = number
  description = "TCP port JupyterHub listens on in the golden image."
  default     = 8000
  nullable    = false

  validation {
    condition     = var.notebook_port >= 1024 && var.notebook_port <= 65535 && floor(var.notebook_port) == var.notebook_port
    error_message = "notebook_port must be a whole number between 1024 and 65535."
  }
}

variable "notebook_scheme" {
  type        = string
  description = "URL scheme JupyterHub serves in the golden image (https when the image terminates TLS)."
  default     = "https"
  nullable    = false

  validation {
    condition     = contains(["http", "https"], var.notebook_scheme)
    error_message = "notebook_scheme must be http or https."
  }
}

variable "notebook_allowed_cidrs" {
  type        = string
  description = "Comma-separated IPv4 CIDRs allowed to reach the notebook port. Empty: nobody."
  default     = ""
  nullable    = false

  validation {
    condition = alltrue([
      for cidr in compact(split(",", replace(var.notebook_allowed_cidrs, " ", ""))) :
      can(cidrnetmask(cidr)) && cidr != "0.0.0.0/0"
    ])
    error_message = "notebook_allowed_cidrs must be comma-separated IPv4 CIDRs; 0.0.0.0/0 is not allowed."
  }

  validation {
    # Together, not one by one: 0.0.0.0/1 and 128.0.0.0/1 are the whole Internet in two halves.
    condition = try(sum(concat([0], [
      for cidr in compact(split(",", replace(var.notebook_allowed_cidrs, " ", ""))) :
      pow(2, 32 - tonumber(split("/", cidr)[1]))
    ])) <= var.notebook_allowed_cidrs_max_share * pow(2, 32), false)
    error_message = "notebook_allowed_cidrs together cover more of the IPv4 address space than notebook_allowed_cidrs_max_share allows."
  }
}

variable "notebook_allowed_cidrs_max_share" {
  type        = number
  description = "Largest share of the IPv4 address space notebook_allowed_cidrs may cover together. Default 1/256: one /8."
  default     = 0.00390625
  nullable    = false

  validation {
    condition     = var.notebook_allowed_cidrs_max_share > 0 && var.notebook_allowed_cidrs_max_share < 1
    error_message = "notebook_allowed_cidrs_max_share must be greater than 0 and less than 1."
  }
}

variable "egress_https_cidrs" {
  type        = string
  description = "Comma-separated IPv4 CIDRs the instance may reach on port 443 (S3 and KMS endpoints, package mirrors)."
  default     = "0.0.0.0/0"
  nullable    = false

  validation {
    condition = alltrue([
      for cidr in compact(split(",", replace(var.egress_https_cidrs, " ", ""))) : can(cidrnetmask(cidr))
    ])
    error_message = "egress_https_cidrs must be comma-separated IPv4 CIDRs."
  }
}

variable "root_volume_size_gb" {
  type        = number
  description = "Size of the encrypted root volume in GiB."
  default     = 50
  nullable    = false

  validation {
    condition     = var.root_volume_size_gb >= 8 && var.root_volume_size_gb <= 16384 && floor(var.root_volume_size_gb) == var.root_volume_size_gb
    error_message = "root_volume_size_gb must be a whole number between 8 and 16384."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags for every resource. The managed-by, tenant and environment tags always win."
  default     = {}
  nullable    = false
}
