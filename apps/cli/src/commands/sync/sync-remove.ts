import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { type RemovedHome, type StoreHome, openPostgresStore } from '@agent-state/postgres';
import {
  HOME_IDENTITY_FILE,
  InvalidArgumentError,
  NotFoundError,
  readHomeIdentity,
} from '@agent-state/state';

import { ExitCode } from '../../exit-codes.js';
import { plural } from '../../format.js';
import { type CliIo, writeJson, writeLines } from '../../output.js';
import { canAsk, confirm } from '../../prompt.js';
import type { StoreUrl } from '../../remote-store-options.js';
import { requireHome } from '../../store-session.js';

/**
 * What `agent-state sync --remove --json` prints: the home removed (`null` when the person said
 * no), and the server, never with its password.
 *
 * @example
 * ```ts
 * const { removed } = JSON.parse(stdout) as SyncRemoveReport;
 * if (removed) console.log(removed.threads, removed.documents, removed.usageRecords);
 * ```
 */
export interface SyncRemoveReport {
  server: string;
  removed: RemovedHome | null;
}

/** Options of {@link runSyncRemove}. */
export interface RunSyncRemoveOptions {
  home: string;
  io: CliIo;
  target: StoreUrl;
  /** Another home's id (`--home-id`); this home's by default. */
  homeId?: string | undefined;
  yes: boolean;
  json: boolean;
}

/**
 * `agent-state sync --remove`: takes a home (this one, or `--home-id`'s) and every row of it out of
 * the shared store (`store.homes.remove`), after asking on a terminal (`--yes` elsewhere, exit 2
 * without it). Nothing here or in that home changes: its next sync pushes it again. A home the
 * store does not hold, or this home never pushed anywhere, is `NotFoundError` (exit 3); a server
 * without the schema (no home was ever pushed there) is `StoreIoError` (exit 1). The store is
 * opened without creating, migrating or recording anything.
 */
export async function runSyncRemove(options: RunSyncRemoveOptions): Promise<ExitCode> {
  const { io, target } = options;
  requireHome(options.home);
  if (!options.yes && !canAsk(io)) {
    throw new InvalidArgumentError(
      '--yes',
      'sync --remove asks first and there is no terminal to ask on; pass --yes to remove without asking',
    );
  }
  // A home never pushed has no id: nothing of it to remove, and no store of it to open.
  const idFile = join(options.home, HOME_IDENTITY_FILE);
  if (!existsSync(idFile)) {
    throw new NotFoundError(
      `this home's id (it was never pushed; --home-id needs a pushed home too)`,
      {
        path: idFile,
      },
    );
  }
  const ownId = readHomeIdentity(options.home, { create: false }).homeId;
  const homeId = options.homeId ?? ownId;
  const [held] = await homesOf(target, options.home, homeId);
  // Opened for this home, without creating, migrating or recording anything.
  const store = await openPostgresStore({
    url: target.url,
    urlSource: target.source,
    home: options.home,
    readOnly: true,
  });
  let report: SyncRemoveReport;
  try {
    if (held === undefined) throw new NotFoundError(`home ${homeId} in ${store.path}`);
    const what = `${homeId === ownId ? 'this home' : 'the home'} ${held.homePath} on ${held.host} (${plural(held.threads, 'thread')})`;
    if (!options.yes && !(await confirm(io, `Remove ${what} from ${store.path}?`))) {
      report = { server: store.path, removed: null };
    } else {
      // Gone meanwhile (another removal): not found either.
      const removed = await store.homes.remove(homeId);
      if (removed === undefined) throw new NotFoundError(`home ${homeId} in ${store.path}`);
      report = { server: store.path, removed };
    }
  } finally {
    await store.close();
  }
  if (options.json) {
    writeJson(io.stdout, report);
    return ExitCode.Ok;
  }
  const { removed } = report;
  writeLines(
    io.stdout,
    removed === null
      ? ['nothing removed']
      : [
          `removed ${removed.homePath} on ${removed.host} from ${report.server}: ${plural(removed.threads, 'thread')}, ${plural(removed.documents, 'search document')}, ${plural(removed.usageRecords, 'usage record')}`,
          removed.homeId === ownId
            ? 'its rollouts and its own store are untouched; the next `agent-state sync` pushes it again'
            : `its rollouts and store on ${removed.host} are untouched; its next \`agent-state sync\` pushes it again`,
        ],
  );
  return ExitCode.Ok;
}

/** The home `homeId` as the store lists it (none when it holds no such home). */
async function homesOf(target: StoreUrl, home: string, homeId: string): Promise<StoreHome[]> {
  const across = await openPostgresStore({
    url: target.url,
    urlSource: target.source,
    home,
    acrossHomes: { homeIds: [homeId] },
  });
  try {
    return await across.homes.list();
  } finally {
    await across.close();
  }
}
