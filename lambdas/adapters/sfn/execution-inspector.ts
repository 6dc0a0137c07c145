import { DescribeExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionInspector, ExecutionStatus } from '../../core/ports';

/** Reads executions' statuses from Step Functions; `executionId` is the execution ARN (`$$.Execution.Id`). */
export class StepFunctionsExecutionInspector implements ExecutionInspector {
  public constructor(private readonly client: SFNClient) {}

  public async describe(executionId: string): Promise<ExecutionStatus> {
    try {
      const out = await this.client.send(new DescribeExecutionCommand({ executionArn: executionId }));
      switch (out.status) {
        // An operator is redriving the failed execution: it is live again.
        case 'PENDING_REDRIVE':
          return 'RUNNING';
        case 'RUNNING':
        case 'SUCCEEDED':
        case 'FAILED':
        case 'TIMED_OUT':
        case 'ABORTED':
          return out.status;
        default:
          // A status added after this code was written: never treat what may be a live flow as dead.
          return 'RUNNING';
      }
    } catch (error) {
      // Closed executions are kept for 90 days; after that (or for an id from elsewhere) there is none.
      if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return 'UNKNOWN';
      throw error;
    }
  }
}
