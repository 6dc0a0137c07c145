/**
 * The per-flow constants. The three flows (create, update, delete) share one state machine definition and
 * differ only by these values, which the CDK rules inject through their input transformers and the local
 * control plane injects the same way.
 */
export const EVENT_SOURCE = 'tenant-control-plane';

export const LIFECYCLE_EVENTS = ['TenantReady', 'TenantFailed', 'TenantDeleted'] as const;
export type LifecycleEventName = (typeof LIFECYCLE_EVENTS)[number];

export const ACTIONS = ['create', 'update', 'delete'] as const;
export type Action = (typeof ACTIONS)[number];

export interface FlowDefinition {
  readonly action: Action;
  /** EventBridge detail type of the request event on this action's bus. */
  readonly detailType: string;
  /** Status the tenant holds while the flow runs. */
  readonly inProgressStatus: 'creating' | 'updating' | 'deleting';
  /** Whether the Terraform run destroys the tenant's resources. */
  readonly destroy: boolean;
  /** Terminal status written by finalize on success. */
  readonly successStatus: 'ready' | 'deleted';
  /** Lifecycle event published on success. */
  readonly successEvent: LifecycleEventName;
}

export const FLOWS: { readonly [A in Action]: FlowDefinition & { action: A } } = {
  create: {
    action: 'create',
    detailType: 'TenantCreateRequested',
    inProgressStatus: 'creating',
    destroy: false,
    successStatus: 'ready',
    successEvent: 'TenantReady',
  },
  update: {
    action: 'update',
    detailType: 'TenantUpdateRequested',
    inProgressStatus: 'updating',
    destroy: false,
    successStatus: 'ready',
    successEvent: 'TenantReady',
  },
  delete: {
    action: 'delete',
    detailType: 'TenantDeleteRequested',
    inProgressStatus: 'deleting',
    destroy: true,
    successStatus: 'deleted',
    successEvent: 'TenantDeleted',
  },
};

export const FAILURE_STATUS = 'failed';
export const FAILURE_EVENT: LifecycleEventName = 'TenantFailed';

/** Detail of a request event, as published by the API or the decommission sweep. */
export interface TenantRequestDetail {
  tenantCode: string;
  flowId: string;
  /** `api:<caller>` or `system`. */
  requestedBy: string;
  requestedAt: string;
}

/** The per-flow part of a state machine's input, as an input transformer writes it. */
export interface FlowConstants {
  action: Action;
  destroy: boolean;
  successStatus: FlowDefinition['successStatus'];
  successEvent: LifecycleEventName;
}

export function flowConstants(action: Action): FlowConstants {
  const flow = FLOWS[action];
  return {
    action: flow.action,
    destroy: flow.destroy,
    successStatus: flow.successStatus,
    successEvent: flow.successEvent,
  };
}

/** A state machine execution's input: the request detail plus the flow's constants. */
export interface FlowInput extends TenantRequestDetail {
  flow: FlowConstants;
  /**
   * Where the states keep the run (and a failed task's error, `$.run.error`): empty at the start, so a
   * Catch before Trigger has an object to write into.
   */
  run: Record<string, never>;
}

/** Builds the execution input exactly as the CDK rule's input transformer does. */
export function flowInput(action: Action, detail: TenantRequestDetail): FlowInput {
  return { ...detail, flow: flowConstants(action), run: {} };
}
