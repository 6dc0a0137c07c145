import { StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { RolloutStarter } from '../../core/ports';

/** Starts the rollout state machine with `{ rolloutId }`; the execution name makes a retried start harmless. */
export class StepFunctionsRolloutStarter implements RolloutStarter {
  public constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArn: string,
  ) {}

  public async start(rolloutId: string, executionName: string): Promise<void> {
    try {
      await this.client.send(
        new StartExecutionCommand({
          stateMachineArn: this.stateMachineArn,
          name: executionName,
          input: JSON.stringify({ rolloutId }),
        }),
      );
    } catch (error) {
      // The same name with the same input: this start already happened.
      if (error instanceof Error && error.name === 'ExecutionAlreadyExists') return;
      throw error;
    }
  }
}
