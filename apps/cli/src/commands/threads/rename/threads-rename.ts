import { appendThreadName, findThread, normalizeThreadName } from '@agent-state/rollout';
import { NotFoundError, normalizeThreadId } from '@agent-state/state';

import { ExitCode } from '../../../exit-codes.js';
import { singleLine } from '../../../format.js';
import { type CliIo, colorsFor, writeJson, writeLines } from '../../../output.js';
import { withStore } from '../../../store-session.js';

/** Options of {@link runThreadsRename}. */
export interface RunThreadsRenameOptions {
  home: string;
  id: string;
  name: string;
  json: boolean;
  io: CliIo;
}

/**
 * Names a thread that exists (`NotFoundError`, exit 3, otherwise) and prints the name recorded.
 * JSON: `{id, name}`.
 */
export async function runThreadsRename(options: RunThreadsRenameOptions): Promise<ExitCode> {
  const { io, home } = options;
  const id = normalizeThreadId(options.id, 'id');
  // Refuse an empty name before looking anything up.
  normalizeThreadName(options.name);
  const entry = await withStore(home, async (store) => {
    const found = await findThread({ home, store, id });
    if (!found) throw new NotFoundError(`thread ${id}`);
    return appendThreadName({ home, threadId: id, name: options.name, clock: store.clock });
  });
  if (options.json) {
    writeJson(io.stdout, { id, name: entry.threadName });
  } else {
    const colors = colorsFor(io.stdout, io.env);
    writeLines(io.stdout, [
      `${colors.green('renamed')} ${id} to ${JSON.stringify(singleLine(entry.threadName))}`,
    ]);
  }
  return ExitCode.Ok;
}
