import {
  type AgentStateStore,
  type ThreadMetadata,
  type ThreadOrigin,
  openStateStore,
} from '@agent-state/state';

import type { SharedStoreDescription, SharedStoreHome } from '../server/shared-store.js';

/** A member of `target`, its methods bound to it (what a proxy passes through). */
function boundMember(target: object, name: string | symbol): unknown {
  const value: unknown = Reflect.get(target, name, target);
  return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
}

/** The home the served home's threads belong to in {@link sharedFixtureStore}. */
export const LOCAL_HOME_ID = 'home-local';

/** The other machine's home in {@link sharedFixtureStore}. */
export const OTHER_ORIGIN: ThreadOrigin = {
  homeId: 'home-other',
  host: 'laptop-b',
  homePath: '/home/b/.codex',
};

/**
 * A fixture home's SQLite store, opened read-only, dressed as a store shared by two homes (as a
 * PostgreSQL store opened across homes answers, without a PostgreSQL server): the thread rows of
 * `localIds` carry the origin of the served home (`LOCAL_HOME_ID`, this host, `home`), every
 * other row that of {@link OTHER_ORIGIN}; search hits carry none, as PostgreSQL's do not. With
 * the description `startWebServer` takes as `shared`; close the store when done.
 */
export async function sharedFixtureStore(
  home: string,
  localIds: readonly string[],
): Promise<{ store: AgentStateStore; shared: SharedStoreDescription }> {
  const inner = await openStateStore({ home, readOnly: true, integrityCheck: false });
  const local: ThreadOrigin = { homeId: LOCAL_HOME_ID, host: 'this-host', homePath: home };
  const withOrigin = (thread: ThreadMetadata): ThreadMetadata => ({
    ...thread,
    origin: localIds.includes(thread.id) ? local : OTHER_ORIGIN,
  });
  const threads = new Proxy(inner.threads, {
    get(target, name) {
      if (name === 'get') {
        return async (id: string) => {
          const thread = await target.get(id);
          return thread === undefined ? undefined : withOrigin(thread);
        };
      }
      if (name === 'getMany') {
        return async (ids: readonly string[]) => (await target.getMany(ids)).map(withOrigin);
      }
      if (name === 'list') {
        return async (options: Parameters<typeof target.list>[0]) => {
          const page = await target.list(options);
          return { ...page, items: page.items.map(withOrigin) };
        };
      }
      return boundMember(target, name);
    },
  });
  const store = new Proxy(inner, {
    get(target, name) {
      if (name === 'threads') return threads;
      return boundMember(target, name);
    },
  });
  const homes = async (): Promise<SharedStoreHome[]> => {
    const all = await inner.threads.count();
    const mine = localIds.length;
    return [
      { ...local, lastSyncAt: 1_790_000_000, threads: mine },
      { ...OTHER_ORIGIN, lastSyncAt: null, threads: all - mine },
    ];
  };
  return {
    store,
    shared: {
      server: 'postgres://agent_state@db.example:5432/shared',
      homes,
      localHomeId: LOCAL_HOME_ID,
    },
  };
}
