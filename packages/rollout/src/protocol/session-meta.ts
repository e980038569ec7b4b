import * as z from 'zod';

/**
 * Where a session came from: `cli`, `vscode`, `exec`, `mcp`, `unknown`, or a structured sub-agent
 * source such as `{"subagent":"review"}`. Any other JSON value is kept as it is (tolerant read).
 *
 * @example
 * ```ts
 * const source: SessionSource = { subagent: 'review' };
 * ```
 */
export type SessionSource = string | Record<string, unknown>;

/**
 * Zod schema of {@link SessionSource} (read side: any string or object).
 *
 * @example
 * ```ts
 * SessionSourceSchema.parse('cli'); // 'cli'
 * SessionSourceSchema.parse({ subagent: 'review' }); // kept as is
 * ```
 */
export const SessionSourceSchema: z.ZodType<SessionSource> = z.union([
  z.string(),
  z.record(z.string(), z.unknown()),
]);

/**
 * What a sub-agent source spawned by a thread carries (`{"subagent":{"thread_spawn":{…}}}`, Codex
 * 0.169), fields of the wrong type left out.
 *
 * @example
 * ```ts
 * const spawn: ThreadSpawn = { parent_thread_id: '01a249b9-5eba-7de0-b66b-0557cb848718', depth: 1, agent_nickname: 'Peirce' };
 * ```
 */
export interface ThreadSpawn {
  parent_thread_id?: string;
  depth?: number;
  agent_path?: string;
  agent_nickname?: string;
  agent_role?: string;
}

/**
 * The thread-spawn facts of a session source, or `undefined` when it is not a thread-spawned
 * sub-agent (`cli`, `{"subagent":"review"}`, …).
 *
 * @example
 * ```ts
 * threadSpawnOf({ subagent: { thread_spawn: { parent_thread_id: parentId, depth: 1 } } })?.parent_thread_id; // parentId
 * threadSpawnOf('exec'); // undefined
 * ```
 */
export function threadSpawnOf(source: SessionSource | undefined): ThreadSpawn | undefined {
  if (typeof source !== 'object' || source === null) return undefined;
  const subagent = source.subagent;
  if (typeof subagent !== 'object' || subagent === null) return undefined;
  const spawn = (subagent as Record<string, unknown>).thread_spawn;
  if (typeof spawn !== 'object' || spawn === null) return undefined;
  const fields = spawn as Record<string, unknown>;
  const facts: ThreadSpawn = {};
  for (const key of ['parent_thread_id', 'agent_path', 'agent_nickname', 'agent_role'] as const) {
    const value = fields[key];
    if (typeof value === 'string') facts[key] = value;
  }
  if (typeof fields.depth === 'number') facts.depth = fields.depth;
  return facts;
}

/**
 * Git facts recorded when the session started in a repository.
 *
 * @example
 * ```ts
 * const git: GitInfo = { commit_hash: '54bb79…', branch: 'main', repository_url: 'https://example.invalid/acme/repo-a.git' };
 * ```
 */
export const GitInfoSchema = z.looseObject({
  commit_hash: z.string().nullish(),
  branch: z.string().nullish(),
  repository_url: z.string().nullish(),
});

/**
 * See {@link GitInfoSchema}.
 *
 * @example
 * ```ts
 * const git: GitInfo | null | undefined = meta.git;
 * console.log(git?.branch ?? '(no branch)', git?.commit_hash);
 * ```
 */
export type GitInfo = z.infer<typeof GitInfoSchema>;

/**
 * A tool the client defined for the thread (`dynamic_tools` of `session_meta`).
 *
 * @example
 * ```ts
 * const tool: DynamicToolLine = { name: 'lookup', description: 'Look up a ticket', input_schema: { type: 'object' } };
 * ```
 */
export const DynamicToolLineSchema = z.looseObject({
  name: z.string(),
  description: z.string(),
  input_schema: z.unknown(),
});

/**
 * See {@link DynamicToolLineSchema}.
 *
 * @example
 * ```ts
 * const tools: DynamicToolLine[] = meta.dynamic_tools ?? [];
 * for (const tool of tools) console.log(tool.name, tool.description);
 * ```
 */
export type DynamicToolLine = z.infer<typeof DynamicToolLineSchema>;

/**
 * The `session_meta` payload as read: every field Codex 0.100 and 0.169 write that agent-state
 * uses (0.169's sub-agent fields included), unknown fields kept. `source` missing means `vscode`
 * (Codex's serde default).
 *
 * @example
 * ```ts
 * const meta = SessionMetaSchema.parse(line.payload);
 * console.log(meta.id, meta.cwd, meta.git?.branch);
 * ```
 */
export const SessionMetaSchema = z.looseObject({
  id: z.string(),
  forked_from_id: z.string().nullish(),
  /** 0.169: the thread that spawned this sub-agent thread. */
  parent_thread_id: z.string().nullish(),
  timestamp: z.string(),
  cwd: z.string(),
  originator: z.string().nullish(),
  cli_version: z.string().nullish(),
  source: SessionSourceSchema.optional(),
  /** 0.169: why the thread exists (`user`, `subagent`, …). */
  thread_source: z.string().nullish(),
  agent_nickname: z.string().nullish(),
  /** 0.169: a sub-agent's role (older Codex wrote `agent_type`). */
  agent_role: z.string().nullish(),
  agent_type: z.string().nullish(),
  model_provider: z.string().nullish(),
  base_instructions: z.looseObject({ text: z.string() }).nullish(),
  dynamic_tools: z.array(DynamicToolLineSchema).nullish(),
  git: GitInfoSchema.nullish(),
  history_mode: z.string().nullish(),
});

/**
 * See {@link SessionMetaSchema}.
 *
 * @example
 * ```ts
 * const { sessionMeta } = await loadRollout(path);
 * const meta: SessionMeta | undefined = sessionMeta;
 * console.log(meta?.id, meta?.cwd, meta?.source ?? 'vscode');
 * ```
 */
export type SessionMeta = z.infer<typeof SessionMetaSchema>;

/**
 * The exact `session_meta` payload agent-state writes, in Codex 0.100's key order: `id`,
 * `forked_from_id?`, `timestamp`, `cwd`, `originator`, `cli_version`, `source`,
 * `agent_nickname?`, `model_provider`, `base_instructions`, `dynamic_tools?`, `git?`.
 *
 * @example
 * ```ts
 * const line = JSON.stringify(SessionMetaWriteSchema.parse(meta)); // canonical key order
 * ```
 */
export const SessionMetaWriteSchema = z.strictObject({
  id: z.string(),
  forked_from_id: z.string().optional(),
  timestamp: z.string(),
  cwd: z.string(),
  originator: z.string(),
  cli_version: z.string(),
  source: SessionSourceSchema,
  agent_nickname: z.string().optional(),
  model_provider: z.string().nullable(),
  base_instructions: z.strictObject({ text: z.string() }).nullable(),
  dynamic_tools: z
    .array(z.strictObject({ name: z.string(), description: z.string(), input_schema: z.unknown() }))
    .min(1)
    .optional(),
  git: z
    .strictObject({
      commit_hash: z.string().optional(),
      branch: z.string().optional(),
      repository_url: z.string().optional(),
    })
    .optional(),
});

/**
 * See {@link SessionMetaWriteSchema}.
 *
 * @example
 * ```ts
 * const meta: SessionMetaWrite = {
 *   id: '01a1fca2-1d67-7971-8727-3cd36fd8d76f',
 *   timestamp: '2026-11-21T05:44:05.123Z',
 *   cwd: '/repo',
 *   originator: 'codex_cli_rs',
 *   cli_version: '0.100.0',
 *   source: 'cli',
 *   model_provider: 'openai',
 *   base_instructions: null,
 * };
 * ```
 */
export type SessionMetaWrite = z.infer<typeof SessionMetaWriteSchema>;
