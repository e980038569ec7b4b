import { afterAll, beforeAll } from 'vitest';

import {
  type StartTestPostgresOptions,
  type TestPostgres,
  startTestPostgres,
} from './test-postgres.js';

/**
 * A throwaway PostgreSQL server for the tests of a `describe` block (or of a file): started before
 * them, stopped after them. Returns the server's getter, to call inside the tests.
 *
 * @example
 * ```ts
 * describe.skipIf(!postgresAvailable())('sync', () => {
 *   const server = useTestPostgres();
 *   it('pushes', async () => {
 *     const url = await server().createDatabase();
 *   });
 * });
 * ```
 */
export function useTestPostgres(options?: StartTestPostgresOptions): () => TestPostgres {
  let server: TestPostgres | undefined;
  beforeAll(async () => {
    server = await startTestPostgres(options);
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (!server) throw new Error('useTestPostgres: the server is used before it has started');
    return server;
  };
}
