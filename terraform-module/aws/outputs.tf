# None of these values is a secret: the notebook URL carries no token (JupyterHub authenticates
# users itself). Add `sensitive = true` to any output that ever does.

output "bucket_name" {
  description = "Name of the tenant's S3 bucket."
  value       = aws_s3_bucket.tenant.bucket
}

output "bucket_arn" {
  description = "ARN of the tenant's S3 bucket."
  value       = aws_s3_bucket.tenant.arn
}

output "kms_key_arn" {
  description = "ARN of the tenant's KMS key (bucket and volume encryption)."
  value       = aws_kms_key.tenant.arn
}

output "role_arn" {
  description = "ARN of the tenant's IAM role."
  value       = aws_iam_role.tenant.arn
}

output "instance_profile_name" {
  description = "Name of the instance profile that carries the tenant role."
  value       = aws_iam_instance_profile.tenant.name
}

output "instance_id" {
  description = "ID of the notebook instance; null when enable_compute is false."
  value       = one(aws_instance.notebook[*].id)
}

output "instance_private_ip" {
  description = "Private IP of the notebook instance; null when enable_compute is false."
  value       = one(aws_instance.notebook[*].private_ip)
}

output "notebook_url" {
  description = "JupyterHub URL inside the VPC; null when enable_compute is false."
  value       = var.enable_compute ? "${var.notebook_scheme}://${one(aws_instance.notebook[*].private_ip)}:${var.notebook_port}/" : null
}
