import { existsSync } from 'node:fs';

import {
  type AgentStateStore,
  type Clock,
  type Logger,
  openStateStore,
  stateDbPath,
} from '@agent-state/state';

/**
 * The home's store as the server reads it: the one it was given, else opened read-only when
 * first needed (and once its file exists: a backfill may create it while the server runs), never
 * created.
 */
export class HomeStore {
  readonly #home: string;
  readonly #given: AgentStateStore | undefined;
  readonly #clock: Clock | undefined;
  readonly #logger: Logger | undefined;
  #opening: Promise<AgentStateStore> | undefined;

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

  /** The store, or `null` while the home has none (`agent-state backfill` creates it). */
  async get(): Promise<AgentStateStore | null> {
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

  /** Closes the store if it was opened here (a given store stays open: its owner closes it). */
  async close(): Promise<void> {
    const opening = this.#opening;
    this.#opening = undefined;
    if (opening === undefined) return;
    const store = await opening.catch(() => undefined);
    await store?.close();
  }
}
