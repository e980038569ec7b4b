import { isAbsolute } from 'node:path';

import * as z from 'zod';

import { InvalidSandboxPolicyError } from '../errors.js';

/**
 * Network access of an external sandbox: `restricted` (the default) or `enabled`.
 *
 * @example
 * ```ts
 * const network: NetworkAccess = 'enabled';
 * ```
 */
export type NetworkAccess = 'restricted' | 'enabled';

/**
 * How reads are granted inside a restricted sandbox: everywhere (`full-access`, the default), or
 * only under `readableRoots` (plus the platform's defaults needed to run programs, unless
 * `includePlatformDefaults` is false).
 *
 * @example
 * ```ts
 * const access: ReadOnlyAccess = { type: 'restricted', includePlatformDefaults: true, readableRoots: ['/home/me/src/repo'] };
 * ```
 */
export type ReadOnlyAccess =
  | { type: 'full-access' }
  | { type: 'restricted'; includePlatformDefaults: boolean; readableRoots: string[] };

/**
 * What model shell commands may do. Fully populated (defaults applied): use
 * {@link parseSandboxPolicy} to read one and {@link toCoreJson} / {@link toAppServerJson} to write
 * one in Codex's wire forms.
 *
 * - `danger-full-access`: no restrictions;
 * - `read-only`: reads per `access`, no writes, no network;
 * - `external-sandbox`: already confined by something else; full disk, network per `networkAccess`;
 * - `workspace-write`: reads per `readOnlyAccess`, writes under the cwd, `/tmp`, `$TMPDIR` (unless
 *   excluded) and `writableRoots`, with `.git` and `.codex` kept read-only; network if `networkAccess`.
 *
 * @example
 * ```ts
 * const policy: SandboxPolicy = {
 *   type: 'workspace-write', writableRoots: [], readOnlyAccess: { type: 'full-access' },
 *   networkAccess: false, excludeTmpdirEnvVar: false, excludeSlashTmp: false,
 * };
 * ```
 */
export type SandboxPolicy =
  | { type: 'danger-full-access' }
  | { type: 'read-only'; access: ReadOnlyAccess }
  | { type: 'external-sandbox'; networkAccess: NetworkAccess }
  | {
      type: 'workspace-write';
      writableRoots: string[];
      readOnlyAccess: ReadOnlyAccess;
      networkAccess: boolean;
      excludeTmpdirEnvVar: boolean;
      excludeSlashTmp: boolean;
    };

/**
 * Kinds of {@link SandboxPolicy}, as Codex names them (its `type` tags and display names).
 *
 * @example
 * ```ts
 * SANDBOX_POLICY_TYPES.includes('read-only'); // true
 * ```
 */
export const SANDBOX_POLICY_TYPES = Object.freeze([
  'danger-full-access',
  'read-only',
  'external-sandbox',
  'workspace-write',
] as const);

const FULL_ACCESS: ReadOnlyAccess = Object.freeze({ type: 'full-access' });

/**
 * The read-only policy with full read access (Codex's default policy).
 *
 * @example
 * ```ts
 * toCoreJson(readOnlyPolicy()); // '{"type":"read-only"}'
 * ```
 */
export function readOnlyPolicy(access: ReadOnlyAccess = FULL_ACCESS): SandboxPolicy {
  return { type: 'read-only', access };
}

/**
 * The workspace-write policy with its defaults (no extra roots, full read, no network).
 *
 * @example
 * ```ts
 * const policy = workspaceWritePolicy({ writableRoots: ['/data'], networkAccess: true });
 * ```
 */
export function workspaceWritePolicy(
  options: Partial<Omit<Extract<SandboxPolicy, { type: 'workspace-write' }>, 'type'>> = {},
): SandboxPolicy {
  return {
    type: 'workspace-write',
    writableRoots: options.writableRoots ?? [],
    readOnlyAccess: options.readOnlyAccess ?? FULL_ACCESS,
    networkAccess: options.networkAccess ?? false,
    excludeTmpdirEnvVar: options.excludeTmpdirEnvVar ?? false,
    excludeSlashTmp: options.excludeSlashTmp ?? false,
  };
}

// ---- The core wire form: kebab-case tags, snake_case fields, defaults omitted (Codex's serde). ----

const absolutePath = z
  .string()
  .refine((p) => isAbsolute(p), { message: 'must be an absolute path' });

/**
 * Zod schema of {@link ReadOnlyAccess} in the core wire form
 * (`{"type":"restricted","include_platform_defaults":true,"readable_roots":[…]}` or
 * `{"type":"full-access"}`); parsing applies Codex's defaults.
 *
 * @example
 * ```ts
 * CoreReadOnlyAccessSchema.parse({ type: 'restricted' }); // include_platform_defaults: true, readable_roots: []
 * ```
 */
export const CoreReadOnlyAccessSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('restricted'),
    include_platform_defaults: z.boolean().default(true),
    readable_roots: z.array(absolutePath).default([]),
  }),
  z.strictObject({ type: z.literal('full-access') }),
]);

/**
 * Zod schema of {@link SandboxPolicy} in the core wire form, the form of rollouts'
 * `turn_context.sandbox_policy` and of the `threads.sandbox_policy` column; parsing applies
 * Codex's defaults (so `{"type":"read-only"}` has full read access).
 *
 * @example
 * ```ts
 * const wire = CoreSandboxPolicySchema.parse(JSON.parse('{"type":"workspace-write","network_access":true}'));
 * ```
 */
export const CoreSandboxPolicySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('danger-full-access') }),
  z.strictObject({ type: z.literal('read-only'), access: CoreReadOnlyAccessSchema.optional() }),
  z.strictObject({
    type: z.literal('external-sandbox'),
    network_access: z.enum(['restricted', 'enabled']).default('restricted'),
  }),
  z.strictObject({
    type: z.literal('workspace-write'),
    writable_roots: z.array(absolutePath).default([]),
    read_only_access: CoreReadOnlyAccessSchema.optional(),
    network_access: z.boolean().default(false),
    exclude_tmpdir_env_var: z.boolean().default(false),
    exclude_slash_tmp: z.boolean().default(false),
  }),
]);

/**
 * A sandbox policy in the core wire form, as JSON. See {@link CoreSandboxPolicySchema}.
 *
 * @example
 * ```ts
 * const wire: CoreSandboxPolicyJson = { type: 'workspace-write', network_access: true };
 * ```
 */
export type CoreSandboxPolicyJson = z.input<typeof CoreSandboxPolicySchema>;

// ---- The app-server (v2) wire form: camelCase tags and fields, every field written. ----

/**
 * Zod schema of {@link ReadOnlyAccess} in the app-server (v2) form
 * (`{"type":"restricted","includePlatformDefaults":true,"readableRoots":[]}` or
 * `{"type":"fullAccess"}`).
 *
 * @example
 * ```ts
 * AppServerReadOnlyAccessSchema.parse({ type: 'fullAccess' });
 * ```
 */
export const AppServerReadOnlyAccessSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('restricted'),
    includePlatformDefaults: z.boolean().default(true),
    readableRoots: z.array(absolutePath).default([]),
  }),
  z.strictObject({ type: z.literal('fullAccess') }),
]);

/**
 * Zod schema of {@link SandboxPolicy} in the app-server (v2) form, as `turn/start` takes it.
 *
 * @example
 * ```ts
 * AppServerSandboxPolicySchema.parse({ type: 'readOnly', access: { type: 'fullAccess' } });
 * ```
 */
export const AppServerSandboxPolicySchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('dangerFullAccess') }),
  z.strictObject({ type: z.literal('readOnly'), access: AppServerReadOnlyAccessSchema.optional() }),
  z.strictObject({
    type: z.literal('externalSandbox'),
    networkAccess: z.enum(['restricted', 'enabled']).default('restricted'),
  }),
  z.strictObject({
    type: z.literal('workspaceWrite'),
    writableRoots: z.array(absolutePath).default([]),
    readOnlyAccess: AppServerReadOnlyAccessSchema.optional(),
    networkAccess: z.boolean().default(false),
    excludeTmpdirEnvVar: z.boolean().default(false),
    excludeSlashTmp: z.boolean().default(false),
  }),
]);

/**
 * A sandbox policy in the app-server form, as JSON. See {@link AppServerSandboxPolicySchema}.
 *
 * @example
 * ```ts
 * const wire: AppServerSandboxPolicyJson = { type: 'readOnly', access: { type: 'fullAccess' } };
 * ```
 */
export type AppServerSandboxPolicyJson = z.input<typeof AppServerSandboxPolicySchema>;

/**
 * Reads a policy in either wire form (core or app-server; told apart by the `type` tag), from
 * JSON text or a parsed value, with Codex's defaults. Throws {@link InvalidSandboxPolicyError}
 * naming the offending field.
 *
 * @example
 * ```ts
 * const policy = parseSandboxPolicy('{"type":"workspace-write","network_access":false,"exclude_tmpdir_env_var":false,"exclude_slash_tmp":false}');
 * policy.type; // 'workspace-write'
 * ```
 */
export function parseSandboxPolicy(input: unknown): SandboxPolicy {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (error) {
      throw new InvalidSandboxPolicyError('json', (error as Error).message, { cause: error });
    }
  }
  const tag = (value as { type?: unknown } | null)?.type;
  const appServer = typeof tag === 'string' && /^[a-z]+[A-Z]/.test(tag);
  const result = appServer
    ? AppServerSandboxPolicySchema.safeParse(value)
    : CoreSandboxPolicySchema.safeParse(value);
  if (!result.success) {
    // Unknown fields are refused, not ignored: a field this version does not know might narrow the
    // sandbox, and dropping it would silently widen it.
    const issue = result.error.issues[0];
    const path = issue?.path.join('.') ?? '';
    const where =
      issue?.code === 'unrecognized_keys'
        ? [path, issue.keys.join(',')].filter(Boolean).join('.')
        : path || 'type';
    throw new InvalidSandboxPolicyError(where, issue?.message ?? 'invalid');
  }
  return appServer
    ? fromAppServer(result.data as z.output<typeof AppServerSandboxPolicySchema>)
    : fromCore(result.data as z.output<typeof CoreSandboxPolicySchema>);
}

function fromCore(wire: z.output<typeof CoreSandboxPolicySchema>): SandboxPolicy {
  switch (wire.type) {
    case 'danger-full-access':
      return { type: 'danger-full-access' };
    case 'read-only':
      return { type: 'read-only', access: accessFromCore(wire.access) };
    case 'external-sandbox':
      return { type: 'external-sandbox', networkAccess: wire.network_access };
    case 'workspace-write':
      return {
        type: 'workspace-write',
        writableRoots: wire.writable_roots,
        readOnlyAccess: accessFromCore(wire.read_only_access),
        networkAccess: wire.network_access,
        excludeTmpdirEnvVar: wire.exclude_tmpdir_env_var,
        excludeSlashTmp: wire.exclude_slash_tmp,
      };
  }
}

function accessFromCore(
  wire: z.output<typeof CoreReadOnlyAccessSchema> | undefined,
): ReadOnlyAccess {
  if (!wire || wire.type === 'full-access') return { type: 'full-access' };
  return {
    type: 'restricted',
    includePlatformDefaults: wire.include_platform_defaults,
    readableRoots: wire.readable_roots,
  };
}

function fromAppServer(wire: z.output<typeof AppServerSandboxPolicySchema>): SandboxPolicy {
  switch (wire.type) {
    case 'dangerFullAccess':
      return { type: 'danger-full-access' };
    case 'readOnly':
      return { type: 'read-only', access: accessFromAppServer(wire.access) };
    case 'externalSandbox':
      return { type: 'external-sandbox', networkAccess: wire.networkAccess };
    case 'workspaceWrite':
      return {
        type: 'workspace-write',
        writableRoots: wire.writableRoots,
        readOnlyAccess: accessFromAppServer(wire.readOnlyAccess),
        networkAccess: wire.networkAccess,
        excludeTmpdirEnvVar: wire.excludeTmpdirEnvVar,
        excludeSlashTmp: wire.excludeSlashTmp,
      };
  }
}

function accessFromAppServer(
  wire: z.output<typeof AppServerReadOnlyAccessSchema> | undefined,
): ReadOnlyAccess {
  if (!wire || wire.type === 'fullAccess') return { type: 'full-access' };
  return {
    type: 'restricted',
    includePlatformDefaults: wire.includePlatformDefaults,
    readableRoots: wire.readableRoots,
  };
}

/**
 * The policy in the core wire form, exactly as Codex serializes it: kebab-case tags, snake_case
 * fields in Codex's order, and `access` / `read_only_access` (when full access), `readable_roots`
 * and `writable_roots` (when empty) omitted. A policy read from a real rollout round-trips
 * byte for byte.
 *
 * @example
 * ```ts
 * JSON.stringify(toCoreJson(workspaceWritePolicy()));
 * // '{"type":"workspace-write","network_access":false,"exclude_tmpdir_env_var":false,"exclude_slash_tmp":false}'
 * ```
 */
export function toCoreJson(policy: SandboxPolicy): CoreSandboxPolicyJson {
  switch (policy.type) {
    case 'danger-full-access':
      return { type: 'danger-full-access' };
    case 'read-only':
      return policy.access.type === 'full-access'
        ? { type: 'read-only' }
        : { type: 'read-only', access: accessToCore(policy.access) };
    case 'external-sandbox':
      return { type: 'external-sandbox', network_access: policy.networkAccess };
    case 'workspace-write':
      return {
        type: 'workspace-write',
        ...(policy.writableRoots.length > 0 ? { writable_roots: [...policy.writableRoots] } : {}),
        ...(policy.readOnlyAccess.type === 'full-access'
          ? {}
          : { read_only_access: accessToCore(policy.readOnlyAccess) }),
        network_access: policy.networkAccess,
        exclude_tmpdir_env_var: policy.excludeTmpdirEnvVar,
        exclude_slash_tmp: policy.excludeSlashTmp,
      };
  }
}

function accessToCore(access: ReadOnlyAccess): z.input<typeof CoreReadOnlyAccessSchema> {
  if (access.type === 'full-access') return { type: 'full-access' };
  return {
    type: 'restricted',
    include_platform_defaults: access.includePlatformDefaults,
    ...(access.readableRoots.length > 0 ? { readable_roots: [...access.readableRoots] } : {}),
  };
}

/**
 * The policy in the app-server (v2) form: camelCase tags and fields, every field written.
 *
 * @example
 * ```ts
 * toAppServerJson(readOnlyPolicy()); // { type: 'readOnly', access: { type: 'fullAccess' } }
 * ```
 */
export function toAppServerJson(policy: SandboxPolicy): AppServerSandboxPolicyJson {
  switch (policy.type) {
    case 'danger-full-access':
      return { type: 'dangerFullAccess' };
    case 'read-only':
      return { type: 'readOnly', access: accessToAppServer(policy.access) };
    case 'external-sandbox':
      return { type: 'externalSandbox', networkAccess: policy.networkAccess };
    case 'workspace-write':
      return {
        type: 'workspaceWrite',
        writableRoots: [...policy.writableRoots],
        readOnlyAccess: accessToAppServer(policy.readOnlyAccess),
        networkAccess: policy.networkAccess,
        excludeTmpdirEnvVar: policy.excludeTmpdirEnvVar,
        excludeSlashTmp: policy.excludeSlashTmp,
      };
  }
}

function accessToAppServer(access: ReadOnlyAccess): z.input<typeof AppServerReadOnlyAccessSchema> {
  if (access.type === 'full-access') return { type: 'fullAccess' };
  return {
    type: 'restricted',
    includePlatformDefaults: access.includePlatformDefaults,
    readableRoots: [...access.readableRoots],
  };
}
