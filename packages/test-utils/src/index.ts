export { type TempDirs, tempDirs } from './temp-dirs.js';
export { seededRandom } from './seeded-random.js';
export {
  CODEX_FIXTURE_VERSIONS,
  CODEX_SEED_COLUMNS,
  type CodexFixtureVersion,
  type CodexThreadRow,
  codexFixtureDir,
  codexLogsFixtureDir,
  copyCodexHome,
  fixturesRoot,
  loadExpectedThreads,
} from './fixtures.js';
export {
  type RunWorkersOptions,
  type WorkerOutcome,
  forkScript,
  runWorkers,
  workerMain,
} from './workers.js';
export { spawnTypeScriptWorker } from './typescript-worker.js';
export { type BenchRow, repoRoot, reportBench } from './bench-report.js';
export { benchLogger, fixed, load, median, medianCli, percentile, runCli } from './bench-timing.js';
export { findUndocumentedExports, listPublicExports } from './api-docs.js';
export {
  BENCH_CORPUS,
  type GenerateCorpusOptions,
  type GeneratedCorpus,
  generateCorpus,
} from './corpus.js';
export {
  type MockReply,
  type MockRequest,
  type MockResponsesServer,
  type MockResponsesServerOptions,
  startMockResponsesServer,
} from './mock-responses-server.js';
export { type CompressOptions, compressRollouts, zstdCompress } from './compress-rollouts.js';
export { postgresAvailable } from './postgres/postgres-binaries.js';
export { queryRows } from './postgres/databases.js';
export {
  type StartTestPostgresOptions,
  type TestPostgres,
  type TestPostgresLogger,
  startTestPostgres,
} from './postgres/test-postgres.js';
