import { StoreAuthError, StoreUnreachableError, redactUrl } from '@agent-state/postgres';
import {
  type DoctorProblem,
  type SharedStoreReport,
  inspectSharedStore,
} from '@agent-state/rollout';
import { AgentStateError, InvalidArgumentError, StoreTooNewError } from '@agent-state/state';

import { STORE_URL_ENV, type SharedStoreChoice } from '../../remote-store-options.js';
import { pushedHomeId, withSharedStore } from '../../remote-store-session.js';

/** What `doctor` found of the shared store: its report (`null` when it could not be read). */
export interface SharedStoreCheck {
  report: SharedStoreReport | null;
  /** The id this home is pushed under, when it has been pushed anywhere. */
  localHomeId: string | undefined;
  /** The store's own problems, and this home's with it. */
  problems: DoctorProblem[];
  /** Whether `--host` or `--home-id` kept some homes only. */
  filtered: boolean;
}

/**
 * Reads the shared store `choice` names across its homes (read-only, as `serve --store` does)
 * and reports it (`inspectSharedStore`), with this home's place in it: a home never pushed there
 * is a warning. A store that cannot be read (the server unreachable, the credentials refused, a
 * schema too new or missing) is a problem with its typed error's message, which names the server
 * without its password: an error when `--store` named it, a warning when only
 * `AGENT_STATE_STORE_URL` did; never a failure of `doctor` itself, the home's report still prints.
 * A malformed URL is a bad argument.
 */
export async function checkSharedStore(
  home: string,
  choice: SharedStoreChoice,
): Promise<SharedStoreCheck> {
  const localHomeId = pushedHomeId(home);
  let report: SharedStoreReport;
  try {
    report = await withSharedStore(choice.target, home, choice.selection, async (store) =>
      inspectSharedStore(store, { server: store.path, homes: await store.homes.list() }),
    );
  } catch (error) {
    if (error instanceof InvalidArgumentError || !(error instanceof AgentStateError)) throw error;
    return {
      report: null,
      localHomeId,
      filtered: isFiltered(choice),
      problems: [
        {
          // Named on the command line, the store is what was asked about; named by the
          // environment only, it is a setting that an offline laptop must not turn into a failure.
          severity: choice.target.source === STORE_URL_ENV ? 'warning' : 'error',
          code: 'shared-store-unreadable',
          // The error names the server, without its password.
          message: `the shared store could not be read: ${error.message}`,
          fix: fixOf(error, syncCommand(choice)),
        },
      ],
    };
  }
  const problems = [...report.problems];
  const filtered = isFiltered(choice);
  if (!filtered && !report.homes.some((entry) => entry.homeId === localHomeId)) {
    problems.push({
      severity: 'warning',
      code: 'home-not-pushed',
      message: `this home has never been pushed to the shared store ${report.server}`,
      fix: `run \`${syncCommand(choice)}\``,
    });
  }
  return { report, localHomeId, problems, filtered };
}

function isFiltered(choice: SharedStoreChoice): boolean {
  return (choice.selection.homeIds?.length ?? 0) > 0 || (choice.selection.hosts?.length ?? 0) > 0;
}

/** The command that pushes this home to the store, as the person would type it. */
function syncCommand(choice: SharedStoreChoice): string {
  return choice.target.source === '--store'
    ? `agent-state sync --to ${redactUrl(choice.target.url)}`
    : 'agent-state sync';
}

/** What to do about the error that kept the store from being read. */
function fixOf(error: Error, sync: string): string {
  if (error instanceof StoreAuthError) {
    return 'check the user and the password (in the URL, PGPASSWORD or ~/.pgpass)';
  }
  if (error instanceof StoreUnreachableError) {
    return 'check that the server is running and that the URL names its host and port';
  }
  if (error instanceof StoreTooNewError) {
    return 'upgrade agent-state: a newer version migrated the store';
  }
  return `check the URL; a store no home was pushed to yet is created by \`${sync}\``;
}
