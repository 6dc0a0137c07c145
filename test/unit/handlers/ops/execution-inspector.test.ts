import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { StepFunctionsExecutionInspector } from '../../../../lambdas/adapters/sfn/execution-inspector';

const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:tenant-update:0b1c';
const sdk = new SFNClient({ region: 'eu-west-1' });
const sfn = mockClient(sdk);
const inspector = new StepFunctionsExecutionInspector(sdk);

beforeEach(() => sfn.reset());

describe('StepFunctionsExecutionInspector', () => {
  it.each(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const)(
    'reports %s as Step Functions does',
    async (status) => {
      sfn.on(DescribeExecutionCommand, { executionArn: ARN }).resolves({ status });

      await expect(inspector.describe(ARN)).resolves.toBe(status);
    },
  );

  it('counts an execution waiting to be redriven, or in a status it does not know, as running', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .resolvesOnce({ status: 'PENDING_REDRIVE' })
      .resolvesOnce({
        status: 'PAUSED' as 'RUNNING',
      });

    await expect(inspector.describe(ARN)).resolves.toBe('RUNNING');
    await expect(inspector.describe(ARN)).resolves.toBe('RUNNING');
  });

  it('answers UNKNOWN for an execution that does not exist', async () => {
    sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

    await expect(inspector.describe(ARN)).resolves.toBe('UNKNOWN');
  });

  it('lets any other error through', async () => {
    const denied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    sfn.on(DescribeExecutionCommand).rejects(denied);

    await expect(inspector.describe(ARN)).rejects.toThrow('not authorized');
  });
});
