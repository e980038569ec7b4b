import type { ChangeFeed, ThreadChange } from '../contract/store-contract.js';
import { StoreCorruptError } from '../errors.js';
import { checkedCount, checkedUpTo } from '../store/argument-checks.js';
import type { StoreContext } from '../store/store-context.js';

/** The most changes one call of `since` returns. */
const MAX_CHANGES_PAGE = 10_000;

/**
 * The SQLite store's change feed (`store.changes`): the `thread_changes` table, which triggers on
 * `threads` and `thread_dynamic_tools` keep (migration 9; a derived index's coverage of a thread
 * changes only with its row), and the feed's id in `thread_changes_feed`. Reads only: every
 * writer of the store feeds it, whatever the connection.
 *
 * @example
 * ```ts
 * const head = await store.changes.head();
 * for (const { threadId } of await store.changes.since({ afterSeq: 0, limit: 100 })) {
 *   console.log(threadId, (await store.threads.get(threadId)) ? 'changed' : 'deleted');
 * }
 * ```
 */
export class ChangeFeedRepository implements ChangeFeed {
  readonly #context: StoreContext;

  /** @internal Built by `openStateStore`. */
  constructor(context: StoreContext) {
    this.#context = context;
  }

  /**
   * The feed's id: 32 hex digits made when the store's file got the feed, never changed after.
   *
   * @example
   * ```ts
   * if ((await store.changes.feedId()) !== remembered.feedId) await readEverything();
   * ```
   */
  async feedId(): Promise<string> {
    const row = await this.#context.db
      .selectFrom('thread_changes_feed')
      .select('feed_id')
      .where('id', '=', 1)
      .executeTakeFirst();
    if (!row) throw new StoreCorruptError(this.#context.path, 'the change feed has no id');
    return row.feed_id;
  }

  /**
   * The highest sequence number committed, 0 when no thread has changed yet.
   *
   * @example
   * ```ts
   * const head = await store.changes.head(); // read before the threads it covers
   * ```
   */
  async head(): Promise<number> {
    const row = await this.#context.db
      .selectFrom('thread_changes')
      .select((eb) => eb.fn.max<number | null>('seq').as('head'))
      .executeTakeFirst();
    return Number(row?.head ?? 0);
  }

  /**
   * The threads whose last change is numbered above `afterSeq`, in sequence order, at most
   * `limit` (1 to 10,000). Throws `InvalidArgumentError` for any other `afterSeq` than a whole
   * number from 0, or `limit` out of range.
   *
   * @example
   * ```ts
   * for (let afterSeq = 0; ;) {
   *   const page = await store.changes.since({ afterSeq, limit: 1_000 });
   *   if (page.length === 0) break;
   *   afterSeq = page[page.length - 1]!.seq;
   * }
   * ```
   */
  async since(options: { afterSeq: number; limit: number }): Promise<ThreadChange[]> {
    const afterSeq = checkedCount('afterSeq', options.afterSeq);
    const limit = checkedUpTo('limit', options.limit, MAX_CHANGES_PAGE);
    const rows = await this.#context.db
      .selectFrom('thread_changes')
      .select(['thread_id', 'seq'])
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows.map((row) => ({ threadId: row.thread_id, seq: row.seq }));
  }
}
