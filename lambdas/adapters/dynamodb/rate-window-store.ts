import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RateWindowStore } from '../../core/rate-budget';
import { updateUnlessRefused } from './conditions';

/**
 * The request budget's windows in the coordination table, one item per window: `pk` = `rate#<key>`,
 * `sk` = the window's index. A reservation is one UpdateItem, an atomic `ADD` guarded by the window's
 * capacity, so every Lambda instance of the control plane counts against the same windows. The items
 * expire by TTL an hour after their window.
 *
 * One write per request, no leased batches: a task instance sends its TFC requests one after another
 * (each waits for the previous answer), so tokens leased ahead would mostly expire unused and their
 * windows would stay closed to everyone else.
 */
export class DynamoDbRateWindowStore implements RateWindowStore {
  public constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  public tryReserve(key: string, index: number, perWindow: number, expiresAt: number): Promise<boolean> {
    return updateUnlessRefused(
      this.client,
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `rate#${key}`, sk: String(index) },
        UpdateExpression: 'ADD #count :one SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :cap',
        ExpressionAttributeNames: { '#count': 'count' },
        ExpressionAttributeValues: {
          ':one': 1,
          ':cap': perWindow,
          ':expiresAt': Math.ceil(expiresAt / 1000),
        },
      }),
    );
  }
}
