import { statSync } from 'node:fs';

import {
  type LogSink,
  type LogsStore,
  NotFoundError,
  type AgentStateStore,
  type Clock,
  createLogSink,
  openLogsStore,
  openStateStore,
} from '@agent-state/state';

/**
 * Refuses a home that does not exist (`NotFoundError`, exit 3) instead of letting the store
 * create it: a mistyped `--home` must not leave an empty home and database behind.
 */
export function requireHome(home: string): void {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(home).isDirectory();
  } catch {
    throw new NotFoundError(`home ${home}`, { path: home });
  }
  if (!isDirectory) throw new NotFoundError(`home directory ${home}`, { path: home });
}

/**
 * Opens the store of an existing `home`, runs `use` with it and always closes it, whatever `use`
 * does. Errors of opening (corrupt, too new, busy, …) propagate to the one exit-code mapping.
 * The full `quick_check` is left to `doctor`: it reads the whole file, and SQLite reports damage
 * in the pages a command touches anyway (as a `StoreCorruptError`). `clock` is the store's clock
 * (default: the system's); tests move it instead of sleeping through leases.
 */
export async function withStore<T>(
  home: string,
  use: (store: AgentStateStore) => Promise<T>,
  options: { clock?: Clock | undefined } = {},
): Promise<T> {
  requireHome(home);
  const logs = await openLogSink(home);
  try {
    const store = await openStateStore({
      home,
      integrityCheck: false,
      logger: logs?.sink.logger,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
    try {
      return await use(store);
    } finally {
      await store.close();
    }
  } finally {
    if (logs) {
      await logs.sink.close();
      logs.store.close();
    }
  }
}

/**
 * The home's logs database and a sink writing to it, so what a command does (a backfill, a
 * repair, a failed rollout) can be read back with `agent-state logs`. Logging is never worth
 * failing a command for: a logs database that cannot be opened just means no logs. The sink
 * prunes the database when it starts (by age and per-partition size, in short transactions),
 * unless any process did so within the last hour: the database records when.
 */
async function openLogSink(home: string): Promise<{ store: LogsStore; sink: LogSink } | undefined> {
  try {
    const store = await openLogsStore({ home });
    return { store, sink: createLogSink({ store, minLevel: 'info' }) };
  } catch {
    return undefined;
  }
}
