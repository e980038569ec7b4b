import { type AgentStateError, ErrorCode, stateDbFileName } from '@agent-state/state';
import type { Child, FC } from 'hono/jsx';

import type { StoreAccess } from '../server/home-store.js';

/** A notice on a page (no store yet, a partial index, a listing read from the rollouts). */
export const Notice: FC<{ children?: Child }> = ({ children }) => (
  <div class="notice" role="note">
    {children}
  </div>
);

/** The notice of a home that has no store yet: what to run. */
export const NoStoreNotice: FC = () => (
  <Notice>
    This home has no store yet (<code>{stateDbFileName()}</code>). Run{' '}
    <code>agent-state backfill</code> to index its sessions: search, usage and health need it; the
    thread list reads the rollouts themselves until then.
  </Notice>
);

/** What to do about a store that cannot be opened, by its error's code. */
export function storeProblemFix(problem: AgentStateError): Child {
  switch (problem.code) {
    case ErrorCode.StoreTooNew:
      return <>It was written by a newer agent-state: upgrade this one.</>;
    case ErrorCode.StoreBusy:
      return <>Another process holds it locked: reload this page in a moment.</>;
    case ErrorCode.StoreIo:
      return (
        <>
          The message says what to do (a store of an older release is migrated by{' '}
          <code>agent-state backfill</code>); <code>agent-state doctor</code> tells more.
        </>
      );
    default:
      return (
        <>
          Run <code>agent-state doctor</code>: it says what is wrong and how to repair it.
        </>
      );
  }
}

/**
 * The notice of a store that exists but cannot be read (an older or newer schema, a damaged
 * file, a lock): the problem, what to do, and what the page shows meanwhile.
 */
export const StoreProblemNotice: FC<{ problem: AgentStateError }> = ({ problem }) => (
  <Notice>
    <strong>The store cannot be read:</strong> {problem.message}. {storeProblemFix(problem)} Until
    then the thread list and the transcripts are read from the rollouts themselves; search, usage
    and health need the store.
  </Notice>
);

/** The notice a page shows when it has no store to read: none yet, or one it cannot read. */
export const StoreAccessNotice: FC<{ access: StoreAccess }> = ({ access }) =>
  access.problem !== null ? (
    <StoreProblemNotice problem={access.problem} />
  ) : access.store === null ? (
    <NoStoreNotice />
  ) : null;

/**
 * A health report's problems, each with its severity and fix, or that there are none (the home's
 * health page and the shared store's).
 */
export const ProblemList: FC<{
  problems: ReadonlyArray<{ severity: string; message: string; fix: string }>;
}> = ({ problems }) =>
  problems.length === 0 ? (
    <p>No problems found.</p>
  ) : (
    <ul class="problems">
      {problems.map((problem) => (
        <li>
          <span class={`severity-${problem.severity}`}>{problem.severity}:</span> {problem.message}
          <br />
          <span class="muted">fix:</span> {problem.fix}
        </li>
      ))}
    </ul>
  );

/**
 * A health report's facts, a row each (the home's health page and the shared store's), with its
 * caption for screen readers.
 */
export const FactsTable: FC<{ caption: string; facts: ReadonlyArray<[string, string]> }> = ({
  caption,
  facts,
}) => (
  <table>
    <caption class="visually-hidden">{caption}</caption>
    <tbody>
      {facts.map(([name, value]) => (
        <tr>
          <th scope="row">{name}</th>
          <td>{value}</td>
        </tr>
      ))}
    </tbody>
  </table>
);
