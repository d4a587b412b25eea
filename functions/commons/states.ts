// The names the state machines and the TypeScript share: every state of statemachines/*.asl.json
// (which scripts/statemachines.ts builds from these constants) and the error names an execution
// raises or matches. Code that reads an execution's history, or ends it with an error, takes the
// names from here; test/unit/statemachines.test.ts checks them against the definitions.
// Plain constants: imported by Lambda bundles and the CLI, so no AWS SDK here.

/** The states every machine has, in the order of the flow. */
export const states = {
  Prepare: 'Prepare',
  DescribeRefusal: 'DescribeRefusal',
  InputRefused: 'InputRefused',
  CheckHealth: 'CheckHealth',
  CheckFailed: 'CheckFailed',
  Gate: 'Gate',
  Shift: 'Shift',
  Wait: 'Wait',
  Promote: 'Promote',
  PromotedOutput: 'PromotedOutput',
  Promoted: 'Promoted',
  PromotedOnLattice: 'PromotedOnLattice',
  PromotedRelease: 'PromotedRelease',
  Unhealthy: 'Unhealthy',
  BaselineUnhealthy: 'BaselineUnhealthy',
  Rollback: 'Rollback',
  RolledBack: 'RolledBack',
  DescribeRollbackFailure: 'DescribeRollbackFailure',
  RollbackFailed: 'RollbackFailed',
  OnDrift: 'OnDrift',
  HaltOnDrift: 'HaltOnDrift',
  DriftHalted: 'DriftHalted',
  DriftHaltedLockHeld: 'DriftHaltedLockHeld',
  ReleaseRoute: 'ReleaseRoute',
  Refused: 'Refused',
  RefusedLockHeld: 'RefusedLockHeld',
} as const;

/** The manual-approval machine's own states: the Parallel that waits for a person, and its two branches. */
export const approvalStates = {
  AwaitApproval: 'AwaitApproval',
  RequestApproval: 'RequestApproval',
  CheckAnswer: 'CheckAnswer',
  Approved: 'Approved',
  NotApproved: 'NotApproved',
  OnApprovalTimeout: 'OnApprovalTimeout',
  PromoteOnTimeout: 'PromoteOnTimeout',
  ApprovalTimedOut: 'ApprovalTimedOut',
  MonitorWait: 'MonitorWait',
  MonitorCheck: 'MonitorCheck',
  MonitorGate: 'MonitorGate',
  UnhealthyWhileWaiting: 'UnhealthyWhileWaiting',
} as const;

export type StateName = (typeof states)[keyof typeof states] | (typeof approvalStates)[keyof typeof approvalStates];

/** Errors the machines raise themselves (a Fail state, or the error a Pass state hands to Rollback). */
export const machineErrors = {
  /** The execution's end after a rollback that restored the snapshot. */
  CanaryRolledBack: 'CanaryRolledBack',
  /** The execution's end when the rollback itself failed after every retry: someone must act. */
  RollbackFailed: 'RollbackFailed',
  /** The baseline verdict, before any change, failed: the deployment never started. */
  BaselineUnhealthy: 'BaselineUnhealthy',
  /** A failing verdict after the first change: the reason for a rollback. */
  CanaryUnhealthy: 'CanaryUnhealthy',
  /** The approval branch's way to stop the health-check branch and promote. */
  Approved: 'Approved',
  /** The approver's answer to roll back (`SendTaskFailure` error), also any answer but {"approved": true}. */
  Rejected: 'Rejected',
  /** Nobody answered before approvalTimeoutSeconds (onApprovalTimeout: rollback). */
  ApprovalTimedOut: 'ApprovalTimedOut',
} as const;

/**
 * Errors an execution ends with when mesh-canary itself stops it (StopExecution's `error`): the
 * execution is ABORTED, and the CLI reads its end by this name. Not raised inside the machines.
 */
export const stopErrors = {
  /** The alarm path stopped it: a CloudWatch alarm it checks went to ALARM (the cause names the alarm); its routes are restored. */
  AlarmFired: 'AlarmFired',
} as const;

/**
 * Errors of the functions (classes in errors.ts, whose `name` Step Functions sees) that the
 * machines' Retry and Catch lists match, or that the TypeScript reads from an execution's end.
 * A test checks each against its class.
 */
export const functionErrors = {
  InvalidInput: 'InvalidInput',
  DeploymentInProgress: 'DeploymentInProgress',
  RouteNotFound: 'RouteNotFound',
  VirtualNodeNotFound: 'VirtualNodeNotFound',
  TargetGroupNotFound: 'TargetGroupNotFound',
  TargetNotInRoute: 'TargetNotInRoute',
  UnsupportedRoute: 'UnsupportedRoute',
  ControllerManagedRoute: 'ControllerManagedRoute',
  HealthCheckMisconfigured: 'HealthCheckMisconfigured',
  AwsRequestRejected: 'AwsRequestRejected',
  TransientAwsError: 'TransientAwsError',
  RouteDriftDetected: 'RouteDriftDetected',
} as const;
