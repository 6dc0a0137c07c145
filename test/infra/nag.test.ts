import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { buildControlPlaneApp } from '../../lib';
import { SKIP_BUNDLING } from './support';

const cdkJson = JSON.parse(readFileSync(join(__dirname, '../../cdk.json'), 'utf8')) as {
  context: Record<string, unknown>;
};

/** The app exactly as bin/app.ts builds it, from cdk.json's context (plus an alarm email). */
function checkedApp(options: { outdir?: string; cloudFormationValidation?: boolean } = {}) {
  const app = new App({
    context: {
      ...cdkJson.context,
      alarmEmail: 'oncall@example.com',
      ...SKIP_BUNDLING,
      // Make aws-cdk-lib's own CloudFormation checks fail synthesis instead of warning.
      ...(options.cloudFormationValidation ? { '@aws-cdk/core:validateAgainstDefaultRules': true } : {}),
    },
    builtinCloudFormationValidation: options.cloudFormationValidation ?? false,
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const stack = buildControlPlaneApp(app);
  return { app, stack };
}

interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
}

function acknowledgementsIn(root: IConstruct): Acknowledgement[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('has zero unacknowledged findings: synthesis succeeds', () => {
    const { app } = checkedApp();
    expect(() => app.synth()).not.toThrow();
  });

  it('gives every acknowledgement a specific reason, and IAM acknowledgements name their exact finding', () => {
    const { app } = checkedApp();
    const ours = acknowledgementsIn(app).filter((a) => a.id.startsWith('AwsSolutions-'));

    expect(ours.length).toBeGreaterThan(0);
    for (const ack of ours) {
      expect(ack.reason.length).toBeGreaterThanOrEqual(60);
      // Never acknowledged on the stack or the root construct as a blanket.
      expect(ack.path.split('/').length).toBeGreaterThan(2);
    }
    for (const ack of ours.filter((a) => /^AwsSolutions-IAM[45]/.test(a.id))) {
      expect(ack.id).toMatch(/^AwsSolutions-IAM[45]\[.+\]$/);
    }
  });

  it('acknowledges exactly the findings there are: none stale, none missing', () => {
    // The same app with acknowledgements recorded but not applied, so the pack reports every finding.
    const recorded: Acknowledgement[] = [];
    const spy = jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (
      this: Validations,
      ...rules
    ) {
      const scope = (this as unknown as { scope: IConstruct }).scope;
      recorded.push(...rules.map((r) => ({ path: scope.node.path, id: r.id, reason: r.reason })));
    });
    try {
      const { app } = checkedApp();
      const findings = new AwsSolutionsChecks(app)
        .validateScope(app)
        .violations.flatMap((v) =>
          v.violatingResources.map((r) => ({ id: v.ruleName, path: r.constructPath ?? '' })),
        );

      const covers = (a: Acknowledgement, f: { id: string; path: string }) =>
        a.id === f.id && (f.path === a.path || f.path.startsWith(`${a.path}/`));
      expect(findings.filter((f) => !recorded.some((a) => covers(a, f)))).toEqual([]);
      expect(
        recorded.filter((a) => a.id.startsWith('AwsSolutions-') && !findings.some((f) => covers(a, f))),
      ).toEqual([]);
    } finally {
      spy.mockRestore();
    }
  });

  it('fails synthesis on a new finding: an unencrypted queue added to the stack', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-nag-'));
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const { app, stack } = checkedApp({ outdir });
      new Queue(stack, 'Unencrypted', { encryption: QueueEncryption.UNENCRYPTED });

      expect(() => app.synth()).toThrow();
      const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
        pluginReports: {
          violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
        }[];
      };
      const violations = report.pluginReports.flatMap((p) =>
        p.violations.flatMap((v) => v.violatingConstructs.map((c) => `${v.ruleName} ${c.constructPath}`)),
      );
      expect(violations.sort()).toEqual([
        'AwsSolutions-SQS2 TenantControlPlane-dev/Unencrypted/Resource',
        'AwsSolutions-SQS3 TenantControlPlane-dev/Unencrypted/Resource',
        'AwsSolutions-SQS4 TenantControlPlane-dev/Unencrypted/Resource',
      ]);
    } finally {
      quiet.mockRestore();
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('also passes aws-cdk-lib’s CloudFormation schema and lint checks, as errors', () => {
    const { app } = checkedApp({ cloudFormationValidation: true });
    expect(() => app.synth()).not.toThrow();
  }, 120_000);
});
