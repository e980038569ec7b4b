import { AgentStateError, registerErrorCodes } from '@agent-state/errors';

/**
 * Codes of the errors of this package, registered in agent-state's error table
 * (`errorCodeInfo` of `@agent-state/errors`), so the CLI maps them to exit codes like every other
 * agent-state error.
 *
 * @example
 * ```ts
 * if (error.code === SandboxErrorCode.Unsupported) console.error('this platform cannot enforce it');
 * ```
 */
export const SandboxErrorCode = registerErrorCodes('@agent-state/sandbox-policy', {
  Invalid: {
    code: 'INVALID_SANDBOX_POLICY',
    category: 'invalid-argument',
    description: 'A sandbox policy (or its config value) is not valid.',
  },
  Unsupported: {
    code: 'UNSUPPORTED_SANDBOX_POLICY',
    category: 'unsupported',
    description: 'The platform or backend cannot enforce a sandbox policy: refused, never widened.',
  },
});

/**
 * One of the values of {@link SandboxErrorCode}.
 *
 * @example
 * ```ts
 * const code: SandboxErrorCode = SandboxErrorCode.Invalid;
 * ```
 */
export type SandboxErrorCode = (typeof SandboxErrorCode)[keyof typeof SandboxErrorCode];

/**
 * Base of this package's errors: an `AgentStateError` with one of the {@link SandboxErrorCode}s.
 *
 * @example
 * ```ts
 * try { parseSandboxPolicy(text); } catch (e) { if (e instanceof SandboxPolicyError) console.error(e.code); }
 * ```
 */
export class SandboxPolicyError extends AgentStateError<SandboxErrorCode> {
  /**
   * @example
   * ```ts
   * throw new SandboxPolicyError(SandboxErrorCode.Invalid, 'bad policy');
   * ```
   */
  constructor(code: SandboxErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

/**
 * A policy that does not parse or validate; `where` names the field, config key or flag.
 *
 * @example
 * ```ts
 * throw new InvalidSandboxPolicyError('sandbox_mode', 'expected read-only, workspace-write or danger-full-access, got "open"');
 * ```
 */
export class InvalidSandboxPolicyError extends SandboxPolicyError {
  readonly where: string;

  /**
   * @example
   * ```ts
   * new InvalidSandboxPolicyError('writable_roots[0]', 'must be an absolute path');
   * ```
   */
  constructor(where: string, problem: string, options: { cause?: unknown } = {}) {
    super(SandboxErrorCode.Invalid, `invalid sandbox policy: ${where}: ${problem}`, options);
    this.where = where;
  }
}

/**
 * The chosen sandbox backend cannot enforce this policy. Agent-state fails closed: it refuses to
 * run rather than run under a broader sandbox.
 *
 * @example
 * ```ts
 * throw new UnsupportedSandboxPolicyError('windows', 'restricted read access is not supported by the Windows sandbox backend');
 * ```
 */
export class UnsupportedSandboxPolicyError extends SandboxPolicyError {
  /** The backend that refused (`seatbelt`, `bwrap`, `windows`, …). */
  readonly backend: string;

  /**
   * @example
   * ```ts
   * new UnsupportedSandboxPolicyError('bwrap', 'writable root /nope does not exist');
   * ```
   */
  constructor(backend: string, problem: string) {
    super(
      SandboxErrorCode.Unsupported,
      `${backend} sandbox cannot enforce this policy: ${problem}`,
    );
    this.backend = backend;
  }
}
