import { runCli } from '../lambdas/cli/run';

/** `tenantctl`: the operators' CLI for the tenant API. All logic lives in `lambdas/cli`. */
runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  isTTY: process.stderr.isTTY === true,
  columns: () => process.stderr.columns,
  stdinIsTTY: process.stdin.isTTY === true,
  env: process.env,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A defect, not a tenant outcome: keep it apart from exit 1 (tenant failed).
    process.stderr.write(
      `tenantctl: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 70;
  },
);
