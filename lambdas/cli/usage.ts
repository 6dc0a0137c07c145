import type { CommandName } from './args';
import { DEFAULT_INTERVAL_SECONDS, DEFAULT_TIMEOUT_SECONDS } from './args';
import { DEFAULT_ENDPOINT } from './target';

const GLOBAL = `Global options:
  --endpoint URL       API address (env TENANTCTL_ENDPOINT; default ${DEFAULT_ENDPOINT}, the local
                       control plane of \`npm start\`)
  --host-header NAME   Host header to send, e.g. <api-id>.execute-api.<region>.amazonaws.com when the
                       endpoint is the VPC endpoint's own DNS name (env TENANTCTL_HOST_HEADER)
  --region REGION      region to sign for (default: from the host name, then AWS_REGION)
  --sigv4              sign requests for a loopback endpoint too (other endpoints are always signed
                       with SigV4, credentials from the standard AWS chain)
  --json               print the resulting tenant (or list) as JSON on stdout, nothing else
  -h, --help           show help`;

const WAIT = `  --wait               poll until the tenant is ready, failed or deleted, showing its progress
  --timeout SECONDS    give up waiting after this long (default ${DEFAULT_TIMEOUT_SECONDS}; exit 5)
  --interval SECONDS   time between polls (default ${DEFAULT_INTERVAL_SECONDS})`;

const EXIT = `Exit codes:
  0  success (the tenant is ready or deleted when waiting)
  1  the tenant ended failed (its last error is printed)
  2  usage error: bad flag, missing argument, invalid tenant code, delete not confirmed
  3  the API answered with an error
  4  cannot connect to the API (or no AWS credentials to sign with)
  5  --wait timed out`;

const TOOL = `tenantctl: create, inspect, update and delete tenants through the tenant control plane API.

Usage: tenantctl <command> [options]

Commands:
  create <code>   provision a new tenant
  get <code>      show a tenant: status, run, outputs, last error
  list            list tenants
  update <code>   change a tenant's tier, variables or decommission date (re-runs Terraform)
  delete <code>   destroy a tenant's infrastructure and its workspace

Run \`tenantctl <command> --help\` for a command's options.

${GLOBAL}

${EXIT}
`;

const COMMAND_USAGE: { readonly [C in CommandName]: string } = {
  create: `Usage: tenantctl create <code> [--tier T] [--var name=value ...] [--decommission-date YYYY-MM-DD] [--wait]

Provisions a new tenant (or re-creates a deleted one). <code>: 3-32 lowercase letters, digits or
hyphens, starting with a letter.

Options:
  --tier T             small, medium or large (default small)
  --var name=value     a Terraform variable for the tenant; repeat for more
  --decommission-date D
                       future date (YYYY-MM-DD) from which the daily sweep deletes the tenant
${WAIT}`,
  get: `Usage: tenantctl get <code>

Shows one tenant: status, tier, current run, outputs (sensitive ones as (sensitive)), last error.`,
  list: `Usage: tenantctl list [--status S] [--limit N] [--all]

Options:
  --status S           only tenants in this status: creating, updating, deleting, ready, failed, deleted
  --limit N            tenants per page, 1-100 (default: the API's, 25)
  --all                follow every page instead of stopping after the first
  --next-token TOKEN   start from the page a previous list pointed to`,
  update: `Usage: tenantctl update <code> [--tier T] [--var name=value ...] [--decommission-date D|none] [--wait]

Changes a ready or failed tenant and re-runs Terraform. Give at least one option.

Options:
  --tier T             small, medium or large
  --var name=value     repeatable; the given variables REPLACE all of the tenant's variables
  --decommission-date D|none
                       new decommission date (YYYY-MM-DD), or none to clear it
${WAIT}`,
  delete: `Usage: tenantctl delete <code> [--yes] [--wait]

Destroys the tenant's infrastructure, then deletes its workspace. Asks for confirmation on a terminal;
without one (scripts, pipes) --yes is required.

Options:
  -y, --yes            do not ask for confirmation
${WAIT}`,
};

/** Help for the tool, or for one command with the global options and exit codes appended. */
export function usage(topic?: CommandName): string {
  if (topic === undefined) return TOOL;
  return `${COMMAND_USAGE[topic]}\n\n${GLOBAL}\n\n${EXIT}\n`;
}
