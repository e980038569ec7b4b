import { type ThreadDeletion, deleteThread } from '@agent-state/rollout';
import { InvalidArgumentError, normalizeThreadId } from '@agent-state/state';

import { ExitCode } from '../../../exit-codes.js';
import { plural, singleLine } from '../../../format.js';
import { type CliIo, colorsFor, formatBytes, writeJson, writeLines } from '../../../output.js';
import { canAsk, confirm } from '../../../prompt.js';
import { withStore } from '../../../store-session.js';

/**
 * What `agent-state threads delete <id> --json` prints: the thread, its rollouts where they were,
 * the trash folder holding them (`null` with `--purge`), and whether anything was deleted (`false`
 * when the person said no).
 *
 * @example
 * ```ts
 * const { stdout } = spawnSync('agent-state', ['threads', 'delete', id, '--yes', '--json'], { encoding: 'utf8' });
 * const { trash } = JSON.parse(stdout) as ThreadDeleteReport;
 * ```
 */
export interface ThreadDeleteReport {
  id: string;
  title: string | null;
  deleted: boolean;
  files: Array<{ path: string; bytes: number }>;
  trash: string | null;
  purged: boolean;
  /** Whether the store had a row for the thread (gone now, with all it held). */
  storeRowDeleted: boolean;
}

/** Options of {@link runThreadsDelete}. */
export interface RunThreadsDeleteOptions {
  home: string;
  id: string;
  purge: boolean;
  /** Delete without asking (required when there is no terminal to ask on). */
  yes: boolean;
  json: boolean;
  io: CliIo;
}

/**
 * Deletes a thread (`deleteThread`) after asking on a terminal, and says what went where. An
 * unknown id is a `NotFoundError` (exit 3); without `--yes` and without a terminal nothing is
 * deleted and the command exits 2.
 */
export async function runThreadsDelete(options: RunThreadsDeleteOptions): Promise<ExitCode> {
  const { io, home } = options;
  const id = normalizeThreadId(options.id, 'id');
  if (!options.yes && !canAsk(io)) {
    throw new InvalidArgumentError(
      '--yes',
      'threads delete asks before deleting and there is no terminal to ask on; pass --yes to delete without asking',
    );
  }
  const done = await withStore(home, (store) =>
    deleteThread({
      home,
      threadId: id,
      store,
      purge: options.purge,
      clock: store.clock,
      logger: store.logger,
      confirm: options.yes ? undefined : (plan) => confirm(io, question(plan)),
    }),
  );
  const report: ThreadDeleteReport = {
    id,
    title: done.title,
    deleted: done.deleted,
    files: done.files,
    trash: done.trashDir,
    purged: done.purged,
    storeRowDeleted: done.storeRowDeleted,
  };
  if (options.json) {
    writeJson(io.stdout, report);
    return ExitCode.Ok;
  }
  const colors = colorsFor(io.stdout, io.env);
  if (!done.deleted) {
    writeLines(io.stdout, [`${colors.yellow('kept')} ${id}: nothing was deleted`]);
    return ExitCode.Ok;
  }
  const where =
    done.files.length === 0
      ? 'it had no rollout left'
      : done.purged
        ? `${plural(done.files.length, 'rollout')} unlinked`
        : `${plural(done.files.length, 'rollout')} moved to ${singleLine(done.trashDir ?? '')}`;
  writeLines(io.stdout, [
    `${colors.green('deleted')} ${id}${done.title ? ` ${colors.dim(singleLine(done.title))}` : ''}`,
    `  ${where}`,
    `  ${done.storeRowDeleted ? 'its row, search documents, usage records and memory are gone from the store' : 'the store held no row for it'}`,
  ]);
  return ExitCode.Ok;
}

/** The question asked before deleting: the thread and what happens to its files. */
function question(plan: ThreadDeletion): string {
  const title = plan.title ? ` "${singleLine(plan.title)}"` : '';
  const bytes = plan.files.reduce((sum, file) => sum + file.bytes, 0);
  const files =
    plan.files.length === 0
      ? 'It has no rollout left; its row goes from the store.'
      : `Its ${plural(plan.files.length, 'rollout')} (${formatBytes(bytes)}) ${plan.purged ? 'will be unlinked' : `will move to ${singleLine(plan.trashDir ?? '')}`}.`;
  return `Delete thread ${plan.threadId}${title}?\n${files}\nDelete it?`;
}
