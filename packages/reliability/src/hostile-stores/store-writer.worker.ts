// A child that writes to a store under hostile conditions (a file size limit, another user) and
// prints one JSON line with what happened. It never lets an error escape untyped: the parent
// checks the codes.
import { runBackfill } from '@agent-state/rollout';
import {
  createLogSink,
  isAgentStateError,
  openLogsStore,
  openStateStore,
} from '@agent-state/state';

interface Args {
  mode: 'backfill' | 'sink';
  home: string;
  entries?: number;
}

type Failure = {
  phase: string;
  typed: boolean;
  code: string | null;
  path: string | null;
  message: string;
};

function failure(phase: string, error: unknown): Failure {
  const typed = isAgentStateError(error);
  return {
    phase,
    typed,
    code: typed ? error.code : null,
    path: typed ? (error.path ?? null) : null,
    message: error instanceof Error ? error.message : String(error),
  };
}

function report(value: unknown): void {
  process.stdout.write(`RESULT ${JSON.stringify(value)}\n`);
}

async function backfill(home: string): Promise<void> {
  let store;
  try {
    store = await openStateStore({ home });
  } catch (error) {
    report({ failure: failure('open', error) });
    return;
  }
  try {
    const result = await runBackfill({ store, workers: 0, batchSize: 50 });
    report({ outcome: result.outcome, upserted: result.upserted });
  } catch (error) {
    report({ failure: failure('backfill', error) });
  } finally {
    try {
      await store.close();
    } catch (error) {
      report({ failure: failure('close', error) });
    }
  }
}

async function sink(home: string, entries: number): Promise<void> {
  let logs;
  try {
    logs = await openLogsStore({ home });
  } catch (error) {
    report({ failure: failure('open', error) });
    return;
  }
  const sinkHandle = createLogSink({ store: logs, pruneIntervalMs: 0, batchSize: 256 });
  let threw: string | null = null;
  try {
    for (let i = 0; i < entries; i += 1) {
      sinkHandle.logger.info(`entry ${i} ${'y'.repeat(300)}`, { i });
      if (i % 256 === 255) await sinkHandle.flush();
    }
    await sinkHandle.close();
  } catch (error) {
    threw = String(error);
  }
  try {
    logs.close();
  } catch (error) {
    threw ??= `close: ${String(error)}`;
  }
  report({ written: sinkHandle.written, dropped: sinkHandle.dropped, threw });
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
try {
  if (args.mode === 'backfill') await backfill(args.home);
  else await sink(args.home, args.entries ?? 1000);
} catch (error) {
  report({ failure: failure('unexpected', error) });
}
