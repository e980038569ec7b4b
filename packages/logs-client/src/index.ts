// Public API of @agent-state/logs-client: query, tail and format the SQLite logs of agent-state
// and of OpenAI Codex. Everything exported here is documented and stable; anything else is
// internal. The library does not need commander: the flags of `logs_client` are described by
// `LOGS_CLIENT_FLAGS`, which a program registers with its own command-line parser.

export {
  type LogsDatabaseLocation,
  type LogsDatabaseSource,
  locateLogsDatabase,
} from './database.js';
export {
  type FormatLogOptions,
  type JsonLogRow,
  type LogFormat,
  formatLogRow,
  toJsonLogRow,
} from './format.js';
export { type LogsClientIo, type OutputStream } from './io.js';
export { parseLevelFilter } from './levels.js';
export { logsClientHelp } from './help.js';
export { runLogs, runLogsClient } from './main.js';
export {
  LOGS_CLIENT_FLAGS,
  type LogsClientFlagSpec,
  type LogsClientFlags,
  type LogsClientOptions,
  type LogsSource,
  type ResolveOptionsContext,
  resolveLogsClientOptions,
} from './options.js';
export { type TailLogsOptions, type TailResult, tailLogs } from './tail.js';
export { type ParseTimeOptions, parseDurationArgument, parseTimeArgument } from './time.js';
