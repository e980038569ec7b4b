import { postgresAvailable, startTestPostgres, type TestPostgres } from '@agent-state/test-utils';
import { describeStoreContract } from '@agent-state/test-utils/store-contract';
import { afterAll, beforeAll, describe } from 'vitest';

import { openPostgresStore } from './postgres-store.js';

// The whole store contract, on a real PostgreSQL server: a throwaway cluster (or the server of
// AGENT_STATE_TEST_PG_URL), one database for this file. Every test's home is a new directory, so a
// new home id: an empty store on the shared database.
describe.skipIf(!postgresAvailable())('PostgreSQL store', () => {
  let server: TestPostgres | undefined;
  let url = '';
  beforeAll(async () => {
    server = await startTestPostgres();
    url = await server.createDatabase();
  });
  afterAll(async () => {
    await server?.stop();
  });

  describeStoreContract({
    name: 'PostgreSQL',
    open: ({ home, clock, holderProbe }) => openPostgresStore({ url, home, clock, holderProbe }),
  });
});
