import { openStateStore } from '@agent-state/state';
import {
  type TestPostgres,
  postgresAvailable,
  startTestPostgres,
  tempDirs,
} from '@agent-state/test-utils';
import { sampleThread } from '@agent-state/test-utils/store-contract';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { openPostgresStore } from '../store/postgres-store.js';
import { syncHome } from './sync-home.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

describe.skipIf(!postgresAvailable())('syncHome', () => {
  let server: TestPostgres | undefined;
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('stops between batches when asked, says how much is left, and the next sync pushes exactly that', async () => {
    const url = await server!.createDatabase();
    const home = temp.make('home');
    const source = await openStateStore({ home });
    const target = await openPostgresStore({ url, home });
    try {
      await source.threads.upsertMany(Array.from({ length: 7 }, (_, i) => sampleThread(i + 1)));
      const controller = new AbortController();
      const stopped = await syncHome({
        source,
        target,
        batchSize: 2,
        signal: controller.signal,
        onProgress: ({ pushed }) => {
          if (pushed === 4) controller.abort();
        },
      });
      expect(stopped).toMatchObject({ threads: 7, pushed: 4, stopped: 3 });
      expect(await target.threads.count()).toBe(4);

      // A thread deleted at home is removed from the server too.
      await source.threads.delete(sampleThread(1).id);
      const rest = await syncHome({ source, target });
      expect(rest).toMatchObject({ threads: 6, pushed: 3, unchanged: 3, deleted: 1, stopped: 0 });
      expect(await target.threads.count()).toBe(6);
      expect(await syncHome({ source, target })).toMatchObject({ pushed: 0, unchanged: 6 });
    } finally {
      await target.close();
      await source.close();
    }
  });
});
