import type { SharedStoreHome } from '@agent-state/rollout';

// A home of a shared store, as its health page lists it (defined beside the inspection).
export type { SharedStoreHome };

/**
 * What the web UI needs to know of a store shared by many homes (a PostgreSQL store opened
 * across homes, read-only), given beside that store in `WebServerOptions.shared`: the pages then
 * list, search and sum every home's threads, say on which machine each thread is, show a thread
 * of another machine from the conversation the store holds (its rollout is not here), and the
 * health page describes the shared store instead of a home. The web package never opens such a
 * store itself: the caller (the CLI's `serve --store`) does, and closes it.
 *
 * @example
 * ```ts
 * import { openPostgresStore } from '@agent-state/postgres';
 *
 * const store = await openPostgresStore({ url, home, acrossHomes: true }); // read-only
 * const shared: SharedStoreDescription = {
 *   server: store.path, // postgres://user@host:5432/db, never the password
 *   homes: () => store.homes.list(),
 *   localHomeId: readHomeIdentity(home, { create: false }).homeId,
 * };
 * const server = await startWebServer({ home, store, shared, port: 0 });
 * ```
 */
export interface SharedStoreDescription {
  /** The server as pages show it: never with its password (`store.path` of a PostgreSQL store). */
  server: string;
  /** The homes the store reads, with their host and path (the health page lists them). */
  homes(): Promise<readonly SharedStoreHome[]>;
  /**
   * The id of the home the server was started in, if it has one: its threads' rollouts are on
   * this machine, so their pages show the full transcript (and its downloads), read from there.
   */
  localHomeId?: string | undefined;
}
