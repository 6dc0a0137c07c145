import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
  --json               print the resulting tenant or rollout (or list) as JSON on stdout, nothing else
  -h, --help           show help
  --version            print tenantctl's version`;

const WAIT = `  --wait               poll until the tenant is ready, failed or deleted, showing its progress
  --timeout SECONDS    give up waiting after this long (default ${DEFAULT_TIMEOUT_SECONDS}; exit 5)
  --interval SECONDS   time between polls (default ${DEFAULT_INTERVAL_SECONDS})`;

const EXIT = `Exit codes:
  0  success (when waiting: the tenant is ready or deleted; the rollout completed, or it is paused or
     canceled, which is said)
  1  the tenant ended failed (its last error is printed), or the rollout halted (its reason is printed)
  2  usage error: bad flag, missing argument, invalid tenant code, delete not confirmed
  3  the API answered with an error
  4  cannot connect to the API (or no AWS credentials to sign with)
  5  --wait timed out
  70 internal error in tenantctl itself (a bug: please report it with the message)`;

const TOOL = `tenantctl: create, inspect, update and delete tenants through the tenant control plane API.

Usage: tenantctl <command> [options]

Commands:
  create <code>   provision a new tenant
  get <code>      show a tenant: status, run, outputs, last error
  list            list tenants
  update <code>   change a tenant's tier, variables or decommission date, or retry (re-runs Terraform)
  delete <code>   destroy a tenant's infrastructure and its workspace
  wait <code>     follow a tenant until it is ready, failed or deleted (e.g. after a lost --wait)
  history <code>  what happened to a tenant: requests (who, what), runs, status changes
  logs <code>     the full Terraform output of the tenant's current (or a given) run (local mode)
  fleet           the current module version and tenants per status and module version
  rollout <start|status|list|pause|resume|cancel>
                  apply the current module version to many tenants in waves, and follow it
  ops <job>       run a scheduled job now: decommission [--dry-run], reconcile (local mode)
  completion <shell>
                  print a bash or zsh completion script: source <(tenantctl completion bash)

Run \`tenantctl <command> --help\` for a command's options.

${GLOBAL}

${EXIT}
`;

const COMMAND_USAGE: { readonly [C in 'create' | 'get' | 'list' | 'update' | 'delete']: string } = {
  create: `Usage: tenantctl create <code> [--tier T] [--var name=value ...] [--decommission-date YYYY-MM-DD] [--wait]

Provisions a new tenant (or re-creates a deleted one). <code>: 3-32 lowercase letters, digits or
hyphens, starting with a letter.

Options:
  --tier T             small, medium or large (default small)
  --var name=value     a Terraform variable for the tenant; repeat for more
  --decommission-date D
                       future date (YYYY-MM-DD) from which the daily sweep deletes the tenant
${WAIT}`,
  get: `Usage: tenantctl get <code> [--wait]

Shows one tenant: status, tier, current run, outputs (sensitive ones as (sensitive)), last error.
With --wait, first follows it until it is ready, failed or deleted (as \`tenantctl wait\`).

Options:
${WAIT}`,
  list: `Usage: tenantctl list [--status S] [--module-version V] [--limit N] [--all] [--include-deleted]

Lists tenants sorted by code (within the page; with --all, all of them). Deleted tenants are left out
unless asked for with --include-deleted or --status deleted.

Options:
  --status S           only tenants in this status: creating, updating, deleting, ready, failed, deleted
  --module-version V   only tenants whose last successful run applied module version V (see
                       \`tenantctl fleet\`); a page may then hold fewer than --limit tenants
  --limit N            tenants per page, 1-100 (default: the API's, 25)
  --all                follow every page instead of stopping after the first
  --include-deleted    show deleted tenants too
  --next-token TOKEN   start from the page a previous list pointed to`,
  update: `Usage: tenantctl update <code> [--tier T] [--var name=value ...] [--decommission-date D|none] [--wait]

Changes a ready or failed tenant and re-runs Terraform. With no option, re-runs Terraform with the
tenant's current values: the retry for a failed tenant.

Options:
  --tier T             small, medium or large
  --var name=value     repeatable; the given variables REPLACE all of the tenant's variables
  --decommission-date D|none
                       new decommission date (YYYY-MM-DD), or none to clear it
${WAIT}`,
  delete: `Usage: tenantctl delete <code> [--yes] [--wait]

Destroys the tenant's infrastructure, then deletes its workspace. Asks for confirmation on a terminal;
without one (scripts, pipes) --yes is required. A tenant that is already deleted is reported as such
(exit 0).

Options:
  -y, --yes            do not ask for confirmation
${WAIT}`,
};

const MORE_USAGE = {
  wait: `Usage: tenantctl wait <code> [--timeout SECONDS] [--interval SECONDS]

Follows a tenant until it is ready, failed or deleted, showing its progress, then shows it: for a flow
started earlier (a --wait whose connection was lost, a request made by another tool). Exit codes as
with --wait: 0 ready or deleted, 1 failed, 5 timed out.

Options:
  --timeout SECONDS    give up waiting after this long (default ${DEFAULT_TIMEOUT_SECONDS}; exit 5)
  --interval SECONDS   time between polls (default ${DEFAULT_INTERVAL_SECONDS})`,
  history: `Usage: tenantctl history <code> [--limit N] [--all] [--next-token TOKEN]

Shows what happened to a tenant, newest first: each request (who asked, what changed), each Terraform
run (id, status, link) and each status change, with the flow it belongs to.

Options:
  --limit N            entries per page, 1-100
  --all                follow every page
  --next-token TOKEN   start from the page a previous history pointed to`,
  logs: `Usage: tenantctl logs <code> [--run ID]

Prints the full Terraform output (init, plan, apply) of the tenant's current run, or of the run given
with --run (ids are in \`tenantctl history\`). Local control plane only: in Terraform Cloud, follow the
run's link.

Options:
  --run ID             a run of this tenant, e.g. run-0123456789abcdef`,
  ops: `Usage: tenantctl ops decommission [--dry-run] | tenantctl ops reconcile

Runs a scheduled job of the local control plane now and prints its summary as JSON: the decommission
sweep (with --dry-run: what it would delete, changing nothing) or the reconciler. Local control plane
only; in AWS, invoke the functions (docs/operations.md).

Options:
  --dry-run            decommission only: report, change nothing`,
  fleet: `Usage: tenantctl fleet

Shows the module version new runs apply (the current one), how many tenants are in each status, how
many applied each module version, and how many are behind: not deleted and not on the current
version (tenants that never applied one included). Deleted tenants are counted under their status
only. With --json, the API's answer as is.`,
  rollout: `Usage: tenantctl rollout start [--module-version V] [--tier T] [--tenant C ...] [--status S ...]
                             [--max-concurrent N] [--canary N] [--max-failures N] [--wait]
       tenantctl rollout status <id> [--wait]
       tenantctl rollout list [--limit N] [--all] [--next-token TOKEN]
       tenantctl rollout pause|resume|cancel <id> [--wait]

A rollout applies one module version to a selection of tenants through their normal update flows, in
waves: the canary tenants first and alone, then the rest, at most --max-concurrent at once; it halts
when more than --max-failures tenants failed (or any canary tenant did). Paused, it starts no new tenant
(those in flight finish); resumed, it goes on (also after a halt, once the cause is fixed); canceled,
it starts none again. <id> is what start and list print, e.g. ro-20261202t041500-3fa9c1.

start options (absent: the API's defaults):
  --module-version V   the version to apply; must be the current one (see \`tenantctl fleet\`)
  --tier T             only tenants of this tier: small, medium or large
  --tenant C           only these tenants; repeat for more
  --status S           only tenants in this status (creating, updating, deleting, ready, failed); repeat
                       for more. Without a selector: every tenant that is not deleted
  --max-concurrent N   tenants updating at once (1-50; default 5)
  --canary N           tenants that go first, alone (0-50; default 1)
  --max-failures N     failures tolerated; one more halts the rollout (default 0)

list options:
  --limit N            rollouts per page, 1-100, newest first
  --all                follow every page
  --next-token TOKEN   start from the page a previous list pointed to

--wait options (start, status, pause, resume, cancel):
  --wait               poll until the rollout settles: completed or canceled, or halted or paused with
                       nothing in flight. A terminal shows a progress bar (done/total, in flight,
                       failed, ETA); otherwise a line is printed whenever a count changes. An API
                       that cannot be reached (or answers 502-504) does not end the wait: the last
                       view is kept and polling goes on until --timeout
  --timeout SECONDS    give up waiting after this long (default ${DEFAULT_TIMEOUT_SECONDS}; exit 5; the rollout goes on)
  --interval SECONDS   time between polls (default ${DEFAULT_INTERVAL_SECONDS})

With --wait the exit code says how it ended: 0 completed; 1 halted (the halt reason is printed, and the
failures with the rollout); 0 paused or canceled (the status is printed: someone asked for it);
5 timed out. Without --wait, 0 whenever the API answered. --json prints only the rollout (for list, the
page) on stdout.`,
  completion: `Usage: tenantctl completion bash|zsh

Prints a completion script for commands, options, tiers and statuses. Load it with
  source <(tenantctl completion bash)      # in ~/.bashrc
  source <(tenantctl completion zsh)       # in ~/.zshrc`,
};

const USAGE: { readonly [C in CommandName]: string } = { ...COMMAND_USAGE, ...MORE_USAGE };

/** tenantctl's version: the package's. */
export function cliVersion(): string {
  const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version?: string;
  };
  return pkg.version ?? 'unknown';
}

/** Help for the tool, or for one command with the global options and exit codes appended. */
export function usage(topic?: CommandName): string {
  if (topic === undefined) return TOOL;
  const text = USAGE[topic];
  return `${text}\n\n${GLOBAL}\n\n${EXIT}\n`;
}
