/**
 * The DynamoDB actions each function's code calls, per table: the CDK grants exactly these (no
 * PutItem, BatchWriteItem or Scan where the code never calls them), and an infra test checks each list
 * against the commands the function's code can reach (test/infra/least-privilege.test.ts). A
 * TransactWriteItems call needs the action of each item it holds (UpdateItem, DeleteItem, PutItem) on that
 * item's table, so a transaction is listed as those. Plain data: the CDK app imports it without the AWS SDK.
 */
export type DynamoDbAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:Query'
  | 'dynamodb:Scan'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:PutItem';

/** Tenant table actions by function (the names of `TenantControlPlane.functions`). */
export const TENANT_TABLE_ACTIONS = {
  /** transition (a consistent read, then the write); undoTransition of a first create deletes its row. */
  createTenant: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  /** transition; undoTransition restores an existing row with UpdateItem. */
  updateTenant: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  deleteTenant: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  getTenant: ['dynamodb:GetItem'],
  /** by status: a Query of the status index; without: a Scan of the table (either filtered by module version). */
  listTenants: ['dynamodb:Query', 'dynamodb:Scan'],
  /** moduleVersionsByStatus and countByStatus: Queries of the status index, never a Scan. */
  getFleet: ['dynamodb:Query'],
  /** get, when a tenant has no history yet (unknown code: 404). */
  getTenantHistory: ['dynamodb:GetItem'],
  /** claimFlow (and its read-back), recordProgress of the queued time. */
  admit: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  /** claimFlow (and its read-back), recordProgress, recordRetry. */
  trigger: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  /** recordProgress, recordRetry, clearRetry (a read, then a write only when a retry is shown). */
  check: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  /** recordRunWaiter, recordProgress, recordRetry, clearRetry (a read, then a write only when a retry is shown). */
  awaitRun: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  /** completeFlow, recordRetry, and get when the flow was superseded. */
  finalize: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  /** listDueForDecommission, a consistent get per due tenant, the delete transition (and its undo). */
  decommission: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
  /** listInProgress and countByStatus (status index), releaseClaim, failLostFlow. */
  reconciler: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
  /** The selection: a get per named tenant, or list by status (status index). */
  startRollout: ['dynamodb:GetItem', 'dynamodb:Query'],
  /** getRunWaiter: one read of the tenant whose workspace the notification names. */
  runNotifications: ['dynamodb:GetItem'],
  /** get of each tenant; the update transition (a consistent read, then the write; undo with UpdateItem). */
  rolloutStep: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
} as const satisfies Record<string, readonly DynamoDbAction[]>;

export type TenantTableUser = keyof typeof TENANT_TABLE_ACTIONS;

/**
 * History table actions by function: every tenant writer appends (PutItem, inside its write's
 * transaction); only the history route reads.
 */
export const HISTORY_TABLE_ACTIONS = {
  createTenant: ['dynamodb:PutItem'],
  updateTenant: ['dynamodb:PutItem'],
  deleteTenant: ['dynamodb:PutItem'],
  getTenantHistory: ['dynamodb:Query'],
  admit: ['dynamodb:PutItem'],
  trigger: ['dynamodb:PutItem'],
  check: ['dynamodb:PutItem'],
  awaitRun: ['dynamodb:PutItem'],
  finalize: ['dynamodb:PutItem'],
  decommission: ['dynamodb:PutItem'],
  reconciler: ['dynamodb:PutItem'],
  rolloutStep: ['dynamodb:PutItem'],
} as const satisfies Partial<Record<TenantTableUser, readonly DynamoDbAction[]>>;

/**
 * What each use of the coordination table does there, and nothing more: the request budget's windows are
 * one conditional UpdateItem; admission reads the queue (GetItem, Query) and moves entries in transactions
 * of Put/Update/Delete; releasing a slot is a transaction of Update/Delete after a GetItem.
 */
export const COORDINATION_ACTIONS = {
  rateBudget: ['dynamodb:UpdateItem'],
  admit: [
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
  ],
  release: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  reconcile: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
} as const satisfies Record<string, readonly DynamoDbAction[]>;

/** Coordination table actions by function: admission, the TFC callers' request budget, slot release. */
export const COORDINATION_TABLE_ACTIONS = {
  admit: COORDINATION_ACTIONS.admit,
  trigger: COORDINATION_ACTIONS.rateBudget,
  // Check frees the run slot as soon as the run is over; Finalize frees it in every case.
  check: [...new Set([...COORDINATION_ACTIONS.rateBudget, ...COORDINATION_ACTIONS.release])],
  awaitRun: COORDINATION_ACTIONS.rateBudget,
  finalize: [...new Set([...COORDINATION_ACTIONS.rateBudget, ...COORDINATION_ACTIONS.release])],
  reconciler: COORDINATION_ACTIONS.reconcile,
} as const satisfies Partial<Record<TenantTableUser, readonly DynamoDbAction[]>>;

/**
 * Rollouts table actions by function: reads are GetItem (a rollout, a tenant, the lock) and Query (the list,
 * a rollout's tenants and notes); every state change is a transaction of Update (and Put of a note, Delete
 * of a note or the lock).
 */
export const ROLLOUT_TABLE_ACTIONS = {
  /** create: the lock read, the tenants and the record (transactions of Put); setStatus if the start fails. */
  startRollout: [
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
  ],
  listRollouts: ['dynamodb:Query'],
  getRollout: ['dynamodb:GetItem', 'dynamodb:Query'],
  pauseRollout: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  /** setStatus, requeueFailed (Update of the tenant and the record, Delete of its note). */
  resumeRollout: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  cancelRollout: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  /** Every step: tenants' states and counts, notes (Put), the status and lock (Update, Delete). */
  rolloutStep: [
    'dynamodb:GetItem',
    'dynamodb:Query',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:DeleteItem',
  ],
} as const satisfies Record<string, readonly DynamoDbAction[]>;

/** The history append every tenant writer is granted. */
export const HISTORY_APPEND_ACTIONS: readonly DynamoDbAction[] = ['dynamodb:PutItem'];

/**
 * Idempotency-Key records, as Powertools' DynamoDBPersistenceLayer writes them: a conditional PutItem
 * to claim a key, GetItem to return the first answer, UpdateItem to save it, DeleteItem when the write
 * failed.
 */
export const IDEMPOTENCY_TABLE_ACTIONS: readonly DynamoDbAction[] = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
];
