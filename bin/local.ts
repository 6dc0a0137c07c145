import '../lambdas/local/defaults';
import { localConfigFromEnv } from '../lambdas/local/config';
import { startLocalControlPlane } from '../lambdas/local/control-plane';

async function main(): Promise<void> {
  const config = localConfigFromEnv();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const warn = (line: string) => process.stderr.write(`warning: ${line}\n`);
  const plane = await startLocalControlPlane(config, { out, warn });
  const banner = [
    `Tenant control plane (local) listening on ${plane.url}`,
    `  state       ${config.dataDir} (kept across restarts)`,
    `  dynamodb    DynamoDB Local at ${plane.dynamoDbEndpoint}`,
    `  terraform   ${plane.backendName}, module ${config.moduleDir}`,
    `  flows       statemachines/tenant-flow.asl.json, wait ${config.waitSeconds}s, budget ${config.pollBudget} checks`,
    ...(config.webhookUrl ? [`  webhook     ${config.webhookUrl}`] : []),
    ...(plane.resumed.executions || plane.resumed.runs
      ? [
          `  resumed     ${plane.resumed.executions} flow(s), ${plane.resumed.runs} terraform run(s) from the last run`,
        ]
      : []),
    'Try: npx tenantctl create demo --wait    (Ctrl-C to stop)',
  ];
  out(banner.join('\n'));

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    out(`${signal}: stopping; flows in progress resume on the next start`);
    plane.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        warn(`shutdown: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
