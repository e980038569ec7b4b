// Public API of @agent-state/cli: run the `agent-state` command line in-process. Everything
// exported here is documented and stable; anything else is internal.

export { type BackfillReport } from './commands/backfill/backfill.js';
// What `doctor --json` prints is the report of `inspectHome` (@agent-state/rollout).
export {
  type DoctorDiscrepancy,
  type DoctorProblem,
  type DoctorReport,
  type DoctorSeverity,
} from '@agent-state/rollout';
export { type SearchReport } from './commands/search/search.js';
export { type ThreadMoveReport } from './commands/threads/archive/threads-archive.js';
export { type ThreadsListReport } from './commands/threads/list/threads-list.js';
export {
  type SubAgentSummary,
  type ThreadShowReport,
} from './commands/threads/show/threads-show.js';
export { ExitCode } from './exit-codes.js';
export { type CliIo, type OutputStream } from './output.js';
export { createProgram, main } from './program.js';
