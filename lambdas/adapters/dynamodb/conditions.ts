import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
  type UpdateCommand,
} from '@aws-sdk/lib-dynamodb';

/** A write refused by its condition expression. */
export function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

/** A transaction cancelled because one of its conditions failed (or a conflicting transaction ran). */
export function isTransactionCancelled(error: unknown): error is TransactionCanceledException {
  return (
    error instanceof TransactionCanceledException ||
    (error instanceof Error && error.name === 'TransactionCanceledException')
  );
}

/** Awaits a write: undefined once written, the error when `refused` recognises it; any other error is thrown. */
async function refusalOf<E>(
  write: Promise<unknown>,
  refused: (error: unknown) => error is E,
): Promise<E | undefined> {
  try {
    await write;
    return undefined;
  } catch (error) {
    if (refused(error)) return error;
    throw error;
  }
}

/** Sends a conditional update: true when written, false when its condition failed ({@link isConditionFailure}). */
export async function updateUnlessRefused(
  client: DynamoDBDocumentClient,
  update: UpdateCommand,
): Promise<boolean> {
  return (await refusalOf(client.send(update), isConditionFailure)) === undefined;
}

/**
 * Writes `items` in one transaction: undefined when written, the cancellation when it was cancelled
 * ({@link isTransactionCancelled}), for the caller to read its reasons or to throw.
 */
export function transactOrCancellation(
  client: DynamoDBDocumentClient,
  items: NonNullable<TransactWriteCommandInput['TransactItems']>,
): Promise<TransactionCanceledException | undefined> {
  return refusalOf(client.send(new TransactWriteCommand({ TransactItems: items })), isTransactionCancelled);
}

/** Writes `items` in one transaction: true when written, false when it was cancelled ({@link isTransactionCancelled}). */
export async function transactUnlessCancelled(
  client: DynamoDBDocumentClient,
  items: NonNullable<TransactWriteCommandInput['TransactItems']>,
): Promise<boolean> {
  return (await transactOrCancellation(client, items)) === undefined;
}
