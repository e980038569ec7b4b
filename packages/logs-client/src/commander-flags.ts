// The flags of `logs_client`, registered with commander for its own command line (`main.ts`).
// Internal: the library's API describes the flags without commander (`LOGS_CLIENT_FLAGS`), and
// other programs (`agent-state logs`) register them with their own parser.
import { type Command, Option } from 'commander';

import { LOGS_CLIENT_FLAGS, type LogsClientFlagSpec } from './options.js';

/** Appends a repeatable flag's value. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `spec` as a commander option. */
export function commanderOption(spec: LogsClientFlagSpec): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.repeatable === true) option.argParser(collect);
  if (spec.defaultValue !== undefined) option.default(spec.defaultValue);
  if (spec.hidden === true) option.hideHelp();
  return option;
}

/**
 * Adds the flags of `logs_client` to a commander command. Values are kept as given;
 * `resolveLogsClientOptions` validates them.
 */
export function addLogsClientFlags(command: Command): Command {
  for (const spec of LOGS_CLIENT_FLAGS) command.addOption(commanderOption(spec));
  return command;
}
