# Same output names as ../aws/outputs.tf (a unit test keeps them identical). Like there, names are
# known at plan time and ARNs and ids only after apply.

output "bucket_name" {
  description = "Name of the tenant's S3 bucket."
  value       = local.bucket_name
}

output "bucket_arn" {
  description = "ARN of the tenant's S3 bucket."
  value       = terraform_data.storage.output.bucket_arn
}

output "kms_key_arn" {
  description = "ARN of the tenant's KMS key (bucket and volume encryption)."
  value       = terraform_data.storage.output.kms_key_arn
}

output "role_arn" {
  description = "ARN of the tenant's IAM role."
  value       = terraform_data.identity.output.role_arn
}

output "instance_profile_name" {
  description = "Name of the instance profile that carries the tenant role."
  value       = "${local.name}-sandbox"
}

output "instance_id" {
  description = "ID of the notebook instance; null when enable_compute is false."
  # EC2 ids are "i-" and 17 hex digits; the terraform_data id is a UUID, unknown until apply.
  value = var.enable_compute ? "i-${substr(replace(terraform_data.notebook[0].id, "-", ""), 0, 17)}" : null
}

output "instance_private_ip" {
  description = "Private IP of the notebook instance; null when enable_compute is false."
  value       = one(terraform_data.notebook[*].output.private_ip)
}

output "notebook_url" {
  description = "JupyterHub URL inside the VPC; null when enable_compute is false."
  value       = var.enable_compute ? "${var.notebook_scheme}://${one(terraform_data.notebook[*].output.private_ip)}:${var.notebook_port}/" : null
}
