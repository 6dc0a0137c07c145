import '../lambdas/local/defaults';
import type * as ConfigModule from '../lambdas/local/config';
import type * as ControlPlaneModule from '../lambdas/local/control-plane';
import { acquireInstanceLock, InstanceInUseError, lockTargetFromEnv } from '../lambdas/local/instance-lock';

const out = (line: string) => process.stdout.write(`${line}\n`);
const warn = (line: string) => process.stderr.write(`warning: ${line}\n`);

/** How often to look whether the parent (npm, a shell) is gone: then this process stops as on SIGTERM. */
const PARENT_CHECK_MS = 500;

async function main(): Promise<void> {
  // First, before anything is loaded or started: one control plane per data directory and port.
  const lock = await acquireInstanceLock(lockTargetFromEnv(process.env));
  process.on('exit', () => lock.releaseSync());

  const state: { stopping: boolean; stop?: () => Promise<void> } = { stopping: false };
  const finish = (stopPlane: () => Promise<void>) =>
    stopPlane().then(
      () => process.exit(0),
      (error: unknown) => {
        warn(`shutdown: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  const shutdown = (why: string) => {
    if (state.stopping) return;
    state.stopping = true;
    out(`${why}: stopping; flows in progress resume on the next start`);
    // While starting, the start finishes first and then stops (below), so nothing is left half-started.
    if (state.stop) void finish(state.stop);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
  // `npm start` runs this under `sh -c`: a SIGTERM to npm may end npm and the shell but not this process.
  // Being orphaned is the same request to stop.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) shutdown(`parent process ${parent} exited`);
  }, PARENT_CHECK_MS).unref();

  // Loaded only once the lock is held: they take seconds to load on a busy machine.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { localConfigFromEnv } = require('../lambdas/local/config') as typeof ConfigModule;
  const { startLocalControlPlane } = require('../lambdas/local/control-plane') as typeof ControlPlaneModule;
  /* eslint-enable @typescript-eslint/no-require-imports */
  const config = localConfigFromEnv();
  const plane = await startLocalControlPlane(
    config,
    { out, warn },
    {
      onDynamoDb: (pid) => lock.update({ ...(pid === undefined ? {} : { dynamoDbPid: pid }) }),
      beforeListen: () => lock.releasePort(),
    },
  );
  state.stop = () => plane.stop();
  if (state.stopping) return void finish(state.stop);

  const banner = [
    `Tenant control plane (local) listening on ${plane.url}`,
    `  state       ${config.dataDir} (kept across restarts)`,
    `  dynamodb    DynamoDB Local at ${plane.dynamoDbEndpoint}`,
    `  terraform   ${plane.backendName}, module ${config.moduleDir}`,
    `  module      version ${plane.moduleVersion} (new runs apply it; GET /fleet shows who is behind)`,
    `  flows       statemachines/tenant-flow.asl.json, wait ${config.waitSeconds}s, budget ${config.pollBudget} checks`,
    `  admission   at most ${config.maxConcurrentRuns} runs at once, queued flows ask every ${config.queuedWaitSeconds}s (less often far back)`,
    ...(config.webhookUrl ? [`  webhook     ${config.webhookUrl}`] : []),
    `  rollouts    statemachines/tenant-rollout.asl.json (tenantctl rollout start)`,
    ...(plane.resumed.executions || plane.resumed.runs || plane.resumed.rollouts
      ? [
          `  resumed     ${plane.resumed.executions} flow(s), ${plane.resumed.runs} terraform run(s), ${plane.resumed.rollouts} rollout(s) from the last run`,
        ]
      : []),
    'Try: npx tenantctl create demo --wait    (Ctrl-C to stop)',
  ];
  out(banner.join('\n'));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(
    `error: ${error instanceof InstanceInUseError ? `refusing to start: ${message}` : message}\n`,
  );
  process.exit(1);
});
