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
  seatbeltArgs,
  seatbeltPolicyText,
} from './seatbelt/seatbelt-profile.js';
export {
  type BwrapOptions,
  LINUX_PLATFORM_DEFAULT_READ_ROOTS,
  type SandboxInvocation,
  bwrapArgs,
  bwrapInvocation,
} from './bwrap/bwrap-args.js';
export { findBwrap } from './bwrap/find-bwrap.js';
export {
  type SandboxBackend,
  type SandboxPlatform,
  type SandboxSupportOptions,
  checkSandboxSupport,
  currentPlatform,
  requiresSandbox,
} from './platform/platform-support.js';
export {
  CODEX_SANDBOX_MODES,
  type CodexSandboxConfig,
  type CodexSandboxMode,
  type ParseCodexSandboxConfigOptions,
  parseCodexSandboxConfig,
} from './config/codex-sandbox-config.js';
