// Public API of @agent-state/sandbox-policy.

export {
  InvalidSandboxPolicyError,
  SandboxErrorCode,
  SandboxPolicyError,
  UnsupportedSandboxPolicyError,
} from './errors.js';
export {
  AppServerReadOnlyAccessSchema,
  type AppServerSandboxPolicyJson,
  AppServerSandboxPolicySchema,
  CoreReadOnlyAccessSchema,
  type CoreSandboxPolicyJson,
  CoreSandboxPolicySchema,
  type NetworkAccess,
  type ReadOnlyAccess,
  SANDBOX_POLICY_TYPES,
  type SandboxPolicy,
  parseSandboxPolicy,
  readOnlyPolicy,
  toAppServerJson,
  toCoreJson,
  workspaceWritePolicy,
} from './policy/sandbox-policy.js';
export {
  type RootsContext,
  type WritableRoot,
  describeSandboxPolicy,
  getReadableRoots,
  getWritableRoots,
  hasFullDiskReadAccess,
  hasFullDiskWriteAccess,
  hasFullNetworkAccess,
  includePlatformDefaults,
  isPathWritable,
  protectedSubpaths,
  readAccessOf,
} from './policy/policy-roots.js';
export {
  SEATBELT_EXECUTABLE,
  type SeatbeltArgsOptions,
  type SeatbeltOptions,
  type SeatbeltProfile,
  seatbeltArgs,
  seatbeltPolicyText,
  seatbeltProfile,
} from './seatbelt/seatbelt-profile.js';
