import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { RunEnd } from '../../core/flow-state';
import type { FlowWaker } from '../../core/ports';

/**
 * Errors of SendTaskSuccess that mean the token can no longer wake anything: it was already used, its task
 * timed out (the flow fell back to polling), or its execution is over.
 */
const SPENT_TOKEN_ERRORS = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

/** Wakes the AwaitRun state of a flow with the run's end, through Step Functions' task-token callback. */
export class StepFunctionsFlowWaker implements FlowWaker {
  public constructor(private readonly client: SFNClient) {}

  public async wake(taskToken: string, end: RunEnd): Promise<boolean> {
    try {
      await this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(end) }));
      return true;
    } catch (error) {
      if (error instanceof Error && SPENT_TOKEN_ERRORS.has(error.name)) return false;
      throw error;
    }
  }
}
