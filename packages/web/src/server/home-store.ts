import { existsSync } from 'node:fs';

import {
  AgentStateError,
  type AgentStateStore,
  type Clock,
  type Logger,
  errorCategory,
  openStateStore,
  stateDbPath,
  toAgentStateError,
} from '@agent-state/state';

import { WebErrorCode } from '../errors.js';

/**
 * What a page can read of the home's store: the store, or `null` with the reason. `problem` is
 * set when the store exists but cannot be read (a schema older or newer than this release's, a
 * damaged file, a lock held too long): the pages say so and read the rollouts instead.
 */
export interface StoreAccess {
  store: AgentStateStore | null;
  problem: AgentStateError | null;
}

/**
 * The home's store as the server reads it: the one it was given, else opened read-only when
 * first needed (and once its file exists: a backfill may create it while the server runs), never
 * created. Once closed, it opens nothing again.
 */
export class HomeStore {
  readonly #home: string;
  readonly #given: AgentStateStore | undefined;
  readonly #clock: Clock | undefined;
  readonly #logger: Logger | undefined;
  #opening: Promise<AgentStateStore> | undefined;
  #closed = false;

  constructor(options: {
    home: string;
    store?: AgentStateStore | undefined;
    clock?: Clock | undefined;
    logger?: Logger | undefined;
  }) {
    this.#home = options.home;
    this.#given = options.store;
    this.#clock = options.clock;
    this.#logger = options.logger;
  }

  /**
   * The store, or `null` while the home has none (`agent-state backfill` creates it). A store
   * that cannot be opened rejects with its error (category `store`); after {@link close}, every
   * call rejects with `WEB_SERVER_CLOSED`.
   */
  async get(): Promise<AgentStateStore | null> {
    if (this.#closed) {
      throw new AgentStateError(WebErrorCode.ServerClosed, 'the web server is closed');
    }
    if (this.#given !== undefined) return this.#given;
    if (this.#opening === undefined) {
      if (!existsSync(stateDbPath(this.#home))) return null;
      const opening = openStateStore({
        home: this.#home,
        // The server never writes to the home: any write through this store throws.
        readOnly: true,
        integrityCheck: false,
        ...(this.#clock === undefined ? {} : { clock: this.#clock }),
        ...(this.#logger === undefined ? {} : { logger: this.#logger }),
      });
      this.#opening = opening;
      // A store that fails to open is tried again by the next request.
      opening.catch(() => {
        if (this.#opening === opening) this.#opening = undefined;
      });
    }
    return this.#opening;
  }

  /**
   * The store, else why there is none: a store that cannot be opened (any error of category
   * `store`) is a `problem`, not an error, so that every page still shows what the rollouts
   * hold. Other errors are thrown.
   */
  async access(): Promise<StoreAccess> {
    try {
      return { store: await this.get(), problem: null };
    } catch (error) {
      if (errorCategory(error) !== 'store') throw error;
      return { store: null, problem: toAgentStateError(error) };
    }
  }

  /**
   * Closes the store if it was opened here (a given store stays open: its owner closes it). A
   * request still waiting for the store gets `WEB_SERVER_CLOSED`, never a store opened again.
   */
  async close(): Promise<void> {
    this.#closed = true;
    const opening = this.#opening;
    this.#opening = undefined;
    if (opening === undefined) return;
    const store = await opening.catch(() => undefined);
    await store?.close();
  }
}
