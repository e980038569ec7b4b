// Public API of @agent-state/logs-client: query, tail and format the SQLite logs of agent-state
// and of OpenAI Codex. Everything exported here is documented and stable; anything else is
// internal.

export {
  type LogsDatabaseLocation,
  type LogsDatabaseSource,
  findLogsDatabase,
  locateLogsDatabase,
} from './database.js';
export {
  type FormatLogOptions,
  type JsonLogRow,
  type LogFormat,
  type TimePrecision,
  formatLogRow,
  formatLogTime,
  toJsonLogRow,
} from './format.js';
export { type LogsClientIo, type OutputStream } from './io.js';
export { parseLevelFilter } from './levels.js';
export { logsClientHelp } from './help.js';
export { runLogs, runLogsClient } from './main.js';
export {
  DEFAULT_BACKFILL,
  DEFAULT_POLL_MS,
  type LogsClientFlags,
  type LogsClientOptions,
  type LogsSource,
  type ResolveOptionsContext,
  addLogsClientOptions,
  resolveLogsClientOptions,
} from './options.js';
export { type TailLogsOptions, type TailResult, tailLogs } from './tail.js';
export { type ParseTimeOptions, parseTimeArgument } from './time.js';
