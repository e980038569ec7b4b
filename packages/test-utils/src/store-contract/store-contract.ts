import type { AgentStateStore, Clock, LeaseHolderProbe } from '@agent-state/state';
import { afterEach, beforeEach } from 'vitest';

import { tempDirs } from '../temp-dirs.js';

/**
 * How the contract suite opens the store under test: a fresh, empty store of `home` on `clock`.
 *
 * @example
 * ```ts
 * const factory: StoreContractFactory = {
 *   name: 'SQLite',
 *   open: ({ home, clock, holderProbe }) => openStateStore({ home, clock, holderProbe }),
 * };
 * ```
 */
export interface StoreContractFactory {
  /** Shown in the test names (`store contract (SQLite) › threads › …`). */
  name: string;
  /** Opens a store of `home` (a new empty directory for each test) reading time from `clock`. */
  open(options: {
    home: string;
    clock: Clock;
    holderProbe?: LeaseHolderProbe | undefined;
  }): Promise<AgentStateStore>;
}

/** The store of the running test, with its home; opened before and closed after each test. */
export interface ContractStoreHandle {
  readonly store: AgentStateStore;
  readonly home: string;
  /** Opens another store of the same home (closed after the test), as a second process would. */
  reopen(options?: { clock?: Clock; holderProbe?: LeaseHolderProbe }): Promise<AgentStateStore>;
}

/**
 * Registers `beforeEach`/`afterEach` hooks that give each test of the enclosing `describe` a fresh
 * store (from `factory`, on the clock `clock()` returns then) and close it afterwards.
 */
export function useContractStore(
  factory: StoreContractFactory,
  clock: () => Clock,
  holderProbe?: () => LeaseHolderProbe | undefined,
): ContractStoreHandle {
  const temp = tempDirs();
  let current: { store: AgentStateStore; home: string } | undefined;
  const extra: AgentStateStore[] = [];
  beforeEach(async () => {
    const home = temp.make('home');
    current = {
      home,
      store: await factory.open({ home, clock: clock(), holderProbe: holderProbe?.() }),
    };
  });
  afterEach(async () => {
    for (const store of extra.splice(0)) await store.close();
    await current?.store.close();
    current = undefined;
    temp.cleanup();
  });
  const live = () => {
    if (!current) throw new Error('the contract store is used outside a test');
    return current;
  };
  return {
    get store() {
      return live().store;
    },
    get home() {
      return live().home;
    },
    async reopen(options = {}) {
      const store = await factory.open({
        home: live().home,
        clock: options.clock ?? clock(),
        holderProbe: options.holderProbe ?? holderProbe?.(),
      });
      extra.push(store);
      return store;
    },
  };
}
