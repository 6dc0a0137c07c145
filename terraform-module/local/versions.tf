# Built-ins only (terraform_data, locals, checks): init, plan, apply and test need no provider
# download, so the local control plane and CI run it offline.
terraform {
  # 1.9 is the first release whose validation blocks may refer to other variables.
  required_version = ">= 1.9.0, < 2.0.0"
}
