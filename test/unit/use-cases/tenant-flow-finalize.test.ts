import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flowConstants } from '../../../lambdas/core/flows';
import type { LifecycleEvent } from '../../../lambdas/core/ports';
import type { TenantCode } from '../../../lambdas/core/tenant-code';
import { workspaceName } from '../../../lambdas/core/workspace';
import { LocalTerraformBackend } from '../../../lambdas/local/terraform-runner';
import type { FinalizeInput, TaskError } from '../../../lambdas/core/flow-state';
import { TenantFlow } from '../../../lambdas/use-cases/tenant-flow';
import { fixedClock } from '../../support/api';
import { NOW, repositoryFixture } from '../../support/repository';

const { fixture, freshCode, start } = repositoryFixture('fin');

let dataDir: string;
beforeEach(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'tcp-finalize-'));
});
afterEach(() => rm(dataDir, { recursive: true, force: true }));

/** A workspace directory as the local runner leaves it after an apply. */
async function workspace(code: TenantCode, content: string): Promise<string> {
  const dir = join(dataDir, workspaceName('test', code));
  await mkdir(dir, { recursive: true });
  await writeFile(
    join(dir, '.tenant-control-plane.json'),
    JSON.stringify({ managedBy: 'tenant-control-plane', tenantCode: code }),
  );
  await writeFile(join(dir, 'terraform.tfstate'), content);
  return dir;
}

function flow() {
  const events: LifecycleEvent[] = [];
  const backend = new LocalTerraformBackend({
    dataDir,
    moduleDir: 'terraform-module/local',
    environment: 'test',
  });
  const tenantFlow = new TenantFlow({
    repository: fixture.repo,
    backend,
    notifier: {
      notify: (event) => {
        events.push(event);
        return Promise.resolve();
      },
    },
    clock: fixedClock(NOW),
    pollIntervalSeconds: 1,
    pollBudget: 5,
  });
  return { tenantFlow, events };
}

function deleteFinalize(code: TenantCode, flowId: string): FinalizeInput {
  return {
    tenantCode: code,
    flowId,
    flow: flowConstants('delete'),
    run: {
      duplicate: false,
      workspaceId: workspaceName('test', code),
      runId: 'run-destroy',
      runStatus: 'applied',
      outcome: 'succeeded',
      waitSeconds: 1,
      pollsLeft: 3,
      awaitSeconds: 0,
    },
  };
}

/** A ready tenant with a local workspace, whose delete flow has started. */
async function readyTenantBeingDeleted(code: TenantCode) {
  const created = await start(code, 'create');
  await fixture.repo.completeFlow(code, created.after.flowId, { status: 'ready', now: NOW });
  await workspace(code, 'old');
  return start(code, 'delete');
}

describe('Finalize of a delete', () => {
  it('deletes the workspace while the row still shows its delete', async () => {
    const { tenantFlow } = flow();
    const code = freshCode();
    const created = await start(code, 'create');
    await fixture.repo.completeFlow(code, created.after.flowId, { status: 'ready', now: NOW });
    const dir = await workspace(code, 'old');
    const deleting = await start(code, 'delete');

    const result = await tenantFlow.finalize(deleteFinalize(code, deleting.after.flowId));

    expect(result).toEqual({ status: 'deleted', event: 'TenantDeleted' });
    expect(existsSync(dir)).toBe(false);
  });

  it('retried after the tenant was created again, removes nothing and writes nothing', async () => {
    const { tenantFlow, events } = flow();
    const code = freshCode();
    const deleting = await readyTenantBeingDeleted(code);
    const oldDelete = deleteFinalize(code, deleting.after.flowId);
    await tenantFlow.finalize(oldDelete);
    const again = await start(code, 'create');
    const dir = await workspace(code, 'new');

    const retried = await tenantFlow.finalize(oldDelete);

    expect(retried).toEqual({ status: 'superseded' });
    expect(existsSync(join(dir, 'terraform.tfstate'))).toBe(true);
    expect(await fixture.repo.get(code)).toMatchObject({ status: 'creating', flowId: again.after.flowId });
    expect(events.map((e) => e.event)).toEqual(['TenantDeleted']);
  });

  it('retried after its own write landed, publishes again and deletes nothing more', async () => {
    const { tenantFlow, events } = flow();
    const code = freshCode();
    const deleting = await readyTenantBeingDeleted(code);
    await tenantFlow.finalize(deleteFinalize(code, deleting.after.flowId));

    const retried = await tenantFlow.finalize(deleteFinalize(code, deleting.after.flowId));

    expect(retried).toEqual({ status: 'deleted', event: 'TenantDeleted' });
    expect(events.map((e) => e.event)).toEqual(['TenantDeleted', 'TenantDeleted']);
  });
});

describe('Finalize of a step that failed while TFC was failing', () => {
  const stalled = {
    reason: 'no answer within 30 s (UND_ERR_HEADERS_TIMEOUT) at app.terraform.io',
    attempt: 4,
    maxAttempts: 5,
  };
  const failedStep = (code: TenantCode, flowId: string, error: TaskError | undefined): FinalizeInput => ({
    tenantCode: code,
    flowId,
    flow: flowConstants('create'),
    run: error ? { error } : {},
  });

  it('adds the retry the tenant showed to an error that does not name it (the step timed out)', async () => {
    const { tenantFlow, events } = flow();
    const code = freshCode();
    const { after } = await start(code, 'create');
    await fixture.repo.recordRetry(code, after.flowId, stalled, NOW);

    await tenantFlow.finalize(
      failedStep(code, after.flowId, { Error: 'States.Timeout', Cause: 'Task timed out after 120 seconds' }),
    );

    const message =
      'Task timed out after 120 seconds; TFC was failing: no answer within 30 s (UND_ERR_HEADERS_TIMEOUT) ' +
      `at app.terraform.io (attempt 4 of 5, since ${NOW})`;
    const tenant = await fixture.repo.get(code);
    expect(tenant).toMatchObject({ status: 'failed', lastError: { code: 'States.Timeout', message } });
    expect(tenant?.retrying).toBeUndefined();
    expect(events).toEqual([expect.objectContaining({ event: 'TenantFailed', error: tenant?.lastError })]);
  });

  it('keeps an error of the TFC client as it is: it already names the failure', async () => {
    const { tenantFlow } = flow();
    const code = freshCode();
    const { after } = await start(code, 'create');
    await fixture.repo.recordRetry(code, after.flowId, stalled, NOW);
    const unreachable =
      'TFC unreachable: connect ECONNREFUSED 10.0.0.5:443 after 5 attempts (GET /api/v2/runs/run-1 at app.terraform.io)';

    await tenantFlow.finalize(
      failedStep(code, after.flowId, {
        Error: 'TransientError',
        Cause: JSON.stringify({ errorType: 'TransientError', errorMessage: unreachable }),
      }),
    );

    expect((await fixture.repo.get(code))?.lastError?.message).toBe(unreachable);
  });
});
