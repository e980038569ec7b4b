import { constants } from 'node:fs';
import { lstat, open, readdir, realpath, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import type OpenAI from 'openai';

import { temporaryPathFor } from '../artifacts/temporary-files.js';
import { REDACTED, redactSecrets } from '../phase1/redact-secrets.js';
import {
  type Checked,
  describe,
  display,
  errorCode,
  isWritableMemoryPath,
  prepareForWriting,
  resolveForReading,
  splitMemoryPath,
} from './memory-paths.js';

/**
 * The names of the consolidation agent's tools.
 *
 * @example
 * ```ts
 * const name: MemoryFileToolName = 'write_file';
 * ```
 */
export type MemoryFileToolName = 'list_files' | 'read_file' | 'write_file' | 'delete_file';

/**
 * Bounds of the file tools. Every limit is enforced by the tools themselves and reported to the
 * model as an error result.
 *
 * @example
 * ```ts
 * const limits: MemoryFileToolLimits = { ...DEFAULT_MEMORY_FILE_TOOL_LIMITS, maxWriteBytes: 256 * 1024 };
 * ```
 */
export interface MemoryFileToolLimits {
  /** Largest content `write_file` accepts, in UTF-8 bytes. */
  maxWriteBytes: number;
  /** How many different files one tool set may write or delete in total. */
  maxFilesChanged: number;
  /** Most characters one `read_file` result returns; longer files are paged by line. */
  maxReadChars: number;
  /** Largest file `read_file` opens at all, in bytes. */
  maxReadableFileBytes: number;
  /** Most entries one `list_files` result shows. */
  maxListEntries: number;
}

/**
 * The default {@link MemoryFileToolLimits}: 1 MiB per written file, 100 files changed per run,
 * 64 Ki characters per read (of files up to 16 MiB), 500 listed entries.
 *
 * @example
 * ```ts
 * createMemoryFileTools({ root, limits: { ...DEFAULT_MEMORY_FILE_TOOL_LIMITS, maxFilesChanged: 20 } });
 * ```
 */
export const DEFAULT_MEMORY_FILE_TOOL_LIMITS: Readonly<MemoryFileToolLimits> = Object.freeze({
  maxWriteBytes: 1024 * 1024,
  maxFilesChanged: 100,
  maxReadChars: 64 * 1024,
  maxReadableFileBytes: 16 * 1024 * 1024,
  maxListEntries: 500,
});

/**
 * The Responses API definitions of the four file tools (strict JSON schemas: every property
 * required, optional ones nullable, no extra properties). Paths are relative to the memories root.
 *
 * @example
 * ```ts
 * await client.responses.create({ model, input, tools: [...MEMORY_FILE_TOOL_DEFINITIONS] });
 * ```
 */
export const MEMORY_FILE_TOOL_DEFINITIONS: readonly OpenAI.Responses.FunctionTool[] = Object.freeze(
  [
    {
      type: 'function',
      name: 'list_files',
      description:
        'List the files and folders under a folder of the memories root, recursively, with file sizes in bytes. Folders end with "/". Pass null to list the whole memories root.',
      strict: true,
      parameters: {
        type: 'object',
        properties: {
          path: {
            type: ['string', 'null'],
            description: 'Folder relative to the memories root, e.g. "skills"; null for the root.',
          },
        },
        required: ['path'],
        additionalProperties: false,
      },
    },
    {
      type: 'function',
      name: 'read_file',
      description:
        'Read a text file of the memories root. Long files come back in pages: the result then ends with a note giving the start_line of the next page.',
      strict: true,
      parameters: {
        type: 'object',
        properties: {
          path: {
            type: 'string',
            description: 'File relative to the memories root, e.g. "raw_memories.md".',
          },
          start_line: {
            type: ['integer', 'null'],
            description: 'First line to return, counting from 1; null for the start of the file.',
          },
        },
        required: ['path', 'start_line'],
        additionalProperties: false,
      },
    },
    {
      type: 'function',
      name: 'write_file',
      description:
        'Create or replace a whole file with new content (missing folders are created). Only MEMORY.md, memory_summary.md and files inside a skill folder (skills/<skill-name>/...) can be written.',
      strict: true,
      parameters: {
        type: 'object',
        properties: {
          path: {
            type: 'string',
            description: 'File relative to the memories root, e.g. "skills/run-tests/SKILL.md".',
          },
          content: { type: 'string', description: 'The complete new content of the file.' },
        },
        required: ['path', 'content'],
        additionalProperties: false,
      },
    },
    {
      type: 'function',
      name: 'delete_file',
      description:
        'Delete a file that is obsolete. Only MEMORY.md, memory_summary.md and files inside a skill folder (skills/<skill-name>/...) can be deleted; an emptied skill folder is removed too.',
      strict: true,
      parameters: {
        type: 'object',
        properties: {
          path: {
            type: 'string',
            description: 'File relative to the memories root, e.g. "skills/old-skill/SKILL.md".',
          },
        },
        required: ['path'],
        additionalProperties: false,
      },
    },
  ],
);

const TOOL_NAMES: readonly string[] = MEMORY_FILE_TOOL_DEFINITIONS.map((tool) => tool.name);

/**
 * What one tool call produced. `output` is what the model sees: a plain result, or a message
 * beginning with `error:` when the call was refused or failed (nothing was changed then).
 *
 * @example
 * ```ts
 * const result = await tools.call('read_file', '{"path":"MEMORY.md","start_line":null}');
 * if (!result.ok) logger.debug('tool refused', { output: result.output });
 * ```
 */
export interface MemoryFileToolResult {
  /** The text returned to the model as the `function_call_output`. */
  output: string;
  /** False when `output` is an error result. */
  ok: boolean;
  /** The file written or deleted (relative to the root, `/`-separated), if any. */
  changed?: { path: string; action: 'written' | 'deleted' } | undefined;
}

/**
 * Options of {@link createMemoryFileTools}.
 *
 * @example
 * ```ts
 * const options: MemoryFileToolsOptions = { root: join(home, 'memories'), signal: controller.signal };
 * ```
 */
export interface MemoryFileToolsOptions {
  /** The memories root (`<home>/memories`). It must exist; symlinks leading to it are resolved once. */
  root: string;
  /** Once aborted, writes and deletes are refused (a write in progress is not committed). */
  signal?: AbortSignal | undefined;
  /** Overrides of {@link DEFAULT_MEMORY_FILE_TOOL_LIMITS}. */
  limits?: Partial<MemoryFileToolLimits> | undefined;
}

/**
 * The consolidation agent's file tools bound to one memories root. They never throw for
 * anything the model sends: bad arguments, unknown tools, paths that leave the root (`..`,
 * absolute paths, NUL bytes, symlinks leading out), read-only targets and exceeded limits all
 * come back as error results.
 *
 * @example
 * ```ts
 * const tools = createMemoryFileTools({ root });
 * const { output } = await tools.call('write_file', JSON.stringify({ path: 'MEMORY.md', content }));
 * ```
 */
export interface MemoryFileTools {
  /** The tool definitions to send with each request ({@link MEMORY_FILE_TOOL_DEFINITIONS}). */
  readonly definitions: readonly OpenAI.Responses.FunctionTool[];
  /** Files written so far and still present, relative to the root, sorted. */
  readonly filesWritten: readonly string[];
  /** Files deleted so far, relative to the root, sorted. */
  readonly filesDeleted: readonly string[];
  /**
   * Runs the tool `name` with `rawArguments`, the JSON text of a `function_call`'s arguments.
   *
   * @example
   * ```ts
   * const { output } = await tools.call('list_files', '{"path":null}');
   * ```
   */
  call(name: string, rawArguments: string): Promise<MemoryFileToolResult>;
}

/**
 * Creates the consolidation agent's file tools ({@link MemoryFileTools}) confined to `root`.
 * Reads follow symlinks only while they stay inside the root; writes and deletes never go through
 * a symlink, only touch `MEMORY.md`, `memory_summary.md` and `skills/<name>/…`, and are atomic
 * (a temporary file in the same folder, synced, then renamed over the target). Written content
 * has its secrets redacted first ({@link redactSecrets}); the result tells the model when. One
 * agent at a time per root: `runMemories` runs it under the phase-2 lock.
 *
 * @example
 * ```ts
 * const tools = createMemoryFileTools({ root: join(home, 'memories') });
 * await tools.call('write_file', JSON.stringify({ path: '../config.toml', content: '' }));
 * // { ok: false, output: 'error: path escapes the memories root: ".." segments are refused' }
 * ```
 */
export function createMemoryFileTools(options: MemoryFileToolsOptions): MemoryFileTools {
  return new FileTools(options);
}

class FileTools implements MemoryFileTools {
  readonly definitions = MEMORY_FILE_TOOL_DEFINITIONS;
  readonly #root: string;
  readonly #signal: AbortSignal | undefined;
  readonly #limits: MemoryFileToolLimits;
  readonly #written = new Set<string>();
  readonly #deleted = new Set<string>();
  #rootReal: Promise<Checked<string>> | undefined;

  constructor(options: MemoryFileToolsOptions) {
    this.#root = options.root;
    this.#signal = options.signal;
    this.#limits = { ...DEFAULT_MEMORY_FILE_TOOL_LIMITS, ...options.limits };
  }

  get filesWritten(): readonly string[] {
    return [...this.#written].sort();
  }

  get filesDeleted(): readonly string[] {
    return [...this.#deleted].sort();
  }

  async call(name: string, rawArguments: string): Promise<MemoryFileToolResult> {
    if (!TOOL_NAMES.includes(name)) {
      return failure(`error: unknown tool "${name}"; the tools are ${TOOL_NAMES.join(', ')}`);
    }
    let args: unknown;
    try {
      args = JSON.parse(rawArguments);
    } catch (error) {
      return failure(`error: the arguments of ${name} are not valid JSON (${describe(error)})`);
    }
    if (typeof args !== 'object' || args === null || Array.isArray(args)) {
      return failure(`error: the arguments of ${name} must be a JSON object`);
    }
    const fields = args as Record<string, unknown>;
    try {
      switch (name as MemoryFileToolName) {
        case 'list_files':
          return await this.#list(fields.path ?? '');
        case 'read_file':
          return await this.#read(fields.path, fields.start_line ?? null);
        case 'write_file':
          return await this.#write(fields.path, fields.content);
        case 'delete_file':
          return await this.#delete(fields.path);
      }
    } catch (error) {
      // An I/O failure the checks did not anticipate: the model sees it, the run goes on.
      return failure(`error: ${name} failed: ${describe(error)}`);
    }
  }

  async #list(rawPath: unknown): Promise<MemoryFileToolResult> {
    const located = await this.#locateForReading(rawPath);
    if (!located.ok) return failure(located.error);
    const { real, segments } = located.value;
    if (!(await stat(real)).isDirectory()) {
      return failure(`error: ${display(segments)} is a file; use read_file to read it`);
    }
    const lines: string[] = [];
    let omitted = 0;
    const prefix = segments.length === 0 ? '' : `${segments.join('/')}/`;
    const walk = async (dir: string, relative: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const shown = `${relative}${entry.name}`;
        const full = join(dir, entry.name);
        if (lines.length >= this.#limits.maxListEntries) {
          omitted += 1;
          if (!entry.isDirectory()) continue;
        } else if (entry.isSymbolicLink()) {
          lines.push(`${shown} (symlink)`);
          continue;
        } else if (entry.isDirectory()) {
          lines.push(`${shown}/`);
        } else if (entry.isFile()) {
          lines.push(`${shown} (${(await lstat(full)).size} bytes)`);
          continue;
        } else {
          lines.push(`${shown} (not a regular file)`);
          continue;
        }
        if (entry.isDirectory()) await walk(full, `${shown}/`);
      }
    };
    await walk(real, prefix);
    if (lines.length === 0) return success(`${display(segments)} is empty`);
    if (omitted > 0) {
      lines.push(`[${omitted} more entries not shown; list a subfolder to see them]`);
    }
    return success(lines.join('\n'));
  }

  async #read(rawPath: unknown, rawStartLine: unknown): Promise<MemoryFileToolResult> {
    if (
      rawStartLine !== null &&
      (!Number.isInteger(rawStartLine) || (rawStartLine as number) < 1)
    ) {
      return failure('error: start_line must be a whole number from 1, or null');
    }
    const startLine = (rawStartLine as number | null) ?? 1;
    const located = await this.#locateForReading(rawPath);
    if (!located.ok) return failure(located.error);
    const { real, segments } = located.value;
    const shown = display(segments);
    // O_NOFOLLOW: the real path was just checked; never follow a link swapped in since.
    const handle = await open(
      real,
      constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0),
    );
    let bytes: Buffer;
    try {
      const info = await handle.stat();
      if (info.isDirectory()) return failure(`error: ${shown} is a folder; use list_files`);
      if (!info.isFile()) return failure(`error: ${shown} is not a regular file`);
      if (info.size > this.#limits.maxReadableFileBytes) {
        return failure(
          `error: ${shown} is too large to read (${info.size} bytes; the limit is ${this.#limits.maxReadableFileBytes})`,
        );
      }
      bytes = await handle.readFile();
    } finally {
      await handle.close();
    }
    if (bytes.includes(0)) return failure(`error: ${shown} is a binary file, not text`);
    const page = pageOfText(shown, bytes.toString('utf8'), startLine, this.#limits.maxReadChars);
    return page.ok ? success(page.value) : failure(page.error);
  }

  async #write(rawPath: unknown, rawContent: unknown): Promise<MemoryFileToolResult> {
    if (typeof rawContent !== 'string') return failure('error: content must be a string');
    const target = await this.#locateForChange(rawPath, 'written');
    if (!target.ok) return failure(target.error);
    const { segments, shown } = target.value;
    // The model writes what it read and was told: credentials never reach the disk.
    const content = redactSecrets(rawContent);
    const redacted = content !== rawContent;
    const size = Buffer.byteLength(content, 'utf8');
    if (size > this.#limits.maxWriteBytes) {
      return failure(
        `error: the content for ${shown} is too large (${size} bytes; the limit is ${this.#limits.maxWriteBytes}); keep memory files concise`,
      );
    }
    const rootReal = await this.#rootRealPath();
    if (!rootReal.ok) return failure(rootReal.error);
    const prepared = await prepareForWriting(rootReal.value, segments, { createFolders: true });
    if (!prepared.ok) return failure(prepared.error);
    const finalPath = prepared.value.path;
    const tempPath = temporaryPathFor(finalPath);
    // `wx`: a fresh file, never an existing entry (nor a symlink planted at the temporary name).
    const handle = await open(tempPath, 'wx', 0o644);
    let committed = false;
    try {
      try {
        await handle.writeFile(content, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      if (this.#signal?.aborted) return failure('error: the run was stopped; nothing was written');
      // rename replaces the directory entry: it never writes through a link at the target.
      await rename(tempPath, finalPath);
      committed = true;
    } finally {
      if (!committed) await unlink(tempPath).catch(() => undefined);
    }
    this.#deleted.delete(shown);
    this.#written.add(shown);
    const note = redacted ? `; secrets in it were replaced with ${REDACTED}` : '';
    return {
      ok: true,
      output: `${prepared.value.exists ? 'replaced' : 'created'} ${shown} (${size} bytes${note})`,
      changed: { path: shown, action: 'written' },
    };
  }

  async #delete(rawPath: unknown): Promise<MemoryFileToolResult> {
    const target = await this.#locateForChange(rawPath, 'deleted');
    if (!target.ok) return failure(target.error);
    const { segments, shown } = target.value;
    const rootReal = await this.#rootRealPath();
    if (!rootReal.ok) return failure(rootReal.error);
    const prepared = await prepareForWriting(rootReal.value, segments, { createFolders: false });
    if (!prepared.ok) return failure(prepared.error);
    if (!prepared.value.exists) return failure(`error: ${shown} does not exist`);
    if (this.#signal?.aborted) return failure('error: the run was stopped; nothing was deleted');
    await unlink(prepared.value.path);
    // Remove the skill folders this emptied, up to (not including) `skills/` itself.
    let folder = dirname(prepared.value.path);
    for (let depth = segments.length - 1; depth >= 2; depth -= 1) {
      try {
        await rmdir(folder);
      } catch {
        break; // not empty (or gone): leave it
      }
      folder = dirname(folder);
    }
    this.#written.delete(shown);
    this.#deleted.add(shown);
    return { ok: true, output: `deleted ${shown}`, changed: { path: shown, action: 'deleted' } };
  }

  /** Checks a path for reading or listing; the root itself is allowed. */
  async #locateForReading(
    rawPath: unknown,
  ): Promise<Checked<{ real: string; segments: string[] }>> {
    const split = splitMemoryPath(rawPath);
    if (!split.ok) return split;
    const rootReal = await this.#rootRealPath();
    if (!rootReal.ok) return rootReal;
    const resolved = await resolveForReading(rootReal.value, split.value);
    if (!resolved.ok) return resolved;
    return { ok: true, value: { real: resolved.value, segments: split.value } };
  }

  /** Checks a path for writing or deleting: syntax, the writable targets, the change budget. */
  async #locateForChange(
    rawPath: unknown,
    action: 'written' | 'deleted',
  ): Promise<Checked<{ segments: string[]; shown: string }>> {
    if (this.#signal?.aborted) {
      return { ok: false, error: `error: the run was stopped; nothing can be ${action}` };
    }
    const split = splitMemoryPath(rawPath);
    if (!split.ok) return split;
    const segments = split.value;
    const shown = display(segments);
    if (!isWritableMemoryPath(segments)) {
      return {
        ok: false,
        error: `error: ${shown} is read-only: only MEMORY.md, memory_summary.md and files inside a skill folder (skills/<skill-name>/...) can be ${action}; raw_memories.md and rollout_summaries/ are inputs`,
      };
    }
    const changed = new Set([...this.#written, ...this.#deleted]);
    if (!changed.has(shown) && changed.size >= this.#limits.maxFilesChanged) {
      return {
        ok: false,
        error: `error: this run already changed ${changed.size} files, the most it may; ${shown} was not ${action}`,
      };
    }
    return { ok: true, value: { segments, shown } };
  }

  #rootRealPath(): Promise<Checked<string>> {
    this.#rootReal ??= realpath(this.#root).then(
      async (real): Promise<Checked<string>> =>
        (await stat(real)).isDirectory()
          ? { ok: true, value: real }
          : { ok: false, error: 'error: the memories root is not a folder' },
      (error: unknown): Checked<string> => ({
        ok: false,
        error: `error: the memories root is not available (${errorCode(error) ?? describe(error)})`,
      }),
    );
    return this.#rootReal;
  }
}

/**
 * One page of `text` starting at line `startLine`, at most `maxChars` characters, cut at a line
 * end when possible, with a note saying how to read on.
 */
function pageOfText(
  shown: string,
  text: string,
  startLine: number,
  maxChars: number,
): Checked<string> {
  const page = (value: string): Checked<string> => ({ ok: true, value });
  if (text.length === 0 && startLine === 1) return page(`(${shown} is empty)`);
  const lines = text.split('\n');
  if (text.endsWith('\n')) lines.pop();
  if (startLine > lines.length) {
    return {
      ok: false,
      error: `error: start_line ${startLine} is past the end of ${shown} (${lines.length} lines)`,
    };
  }
  const rest = lines.slice(startLine - 1).join('\n');
  if (startLine === 1 && rest.length <= maxChars) return page(text);
  if (rest.length <= maxChars) {
    return page(
      `${rest}\n[end of ${shown}: lines ${startLine}-${lines.length} of ${lines.length}]`,
    );
  }
  const cut = rest.lastIndexOf('\n', maxChars);
  if (cut <= 0) {
    // One line longer than a page: show its start; the next page is the next line.
    const next =
      startLine + 1 <= lines.length
        ? `; call read_file with start_line ${startLine + 1} to read on`
        : '';
    return page(
      `${rest.slice(0, maxChars)}\n[truncated: line ${startLine} of ${shown} is longer than ${maxChars} characters and was cut${next}]`,
    );
  }
  const lastLine = startLine + rest.slice(0, cut).split('\n').length - 1;
  return page(
    `${rest.slice(0, cut)}\n[truncated: lines ${startLine}-${lastLine} of ${lines.length} of ${shown} shown; call read_file with start_line ${lastLine + 1} to read on]`,
  );
}

function success(output: string): MemoryFileToolResult {
  return { ok: true, output };
}

function failure(output: string): MemoryFileToolResult {
  return { ok: false, output };
}
