import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import {
  type RunMemoriesResult,
  createModelClient,
  memoriesRoot,
  memoryFilesStatus,
  readMemorySummary,
  resolveMemoriesModelConfig,
  runMemories,
} from '@agent-state/memories';
import { InvalidArgumentError } from '@agent-state/state';

import { CommandExit, ExitCode } from '../../exit-codes.js';
import { formatHolder, formatIsoTime } from '../../format.js';
import {
  type CliIo,
  alignedRows,
  colorsFor,
  formatBytes,
  oneLine,
  writeJson,
  writeLines,
} from '../../output.js';
import { memoryFilesText } from '../../memory-files-text.js';
import { requireHome, withStore } from '../../store-session.js';

/** Options of {@link runMemoriesRun}. */
export interface MemoriesRunOptions {
  home: string;
  phase: string;
  max?: string | undefined;
  model?: string | undefined;
  baseUrl?: string | undefined;
  minIdleHours?: string | undefined;
  maxAgeDays?: string | undefined;
  source?: string[] | undefined;
  maxMemoryBytes?: number | undefined;
  json: boolean;
  io: CliIo;
}

/** `agent-state memories run`. */
export async function runMemoriesRun(options: MemoriesRunOptions): Promise<void> {
  const phases = ({ '1': 'phase1', '2': 'phase2', all: 'all' } as const)[
    options.phase as '1' | '2' | 'all'
  ];
  if (!phases)
    throw new InvalidArgumentError(
      '--phase',
      `expected 1, 2 or all, got ${JSON.stringify(options.phase)}`,
    );
  const max = options.max === undefined ? undefined : Number(options.max);
  if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
    throw new InvalidArgumentError(
      '--max',
      `expected a positive integer, got ${JSON.stringify(options.max)}`,
    );
  }
  const minIdleHours =
    options.minIdleHours === undefined ? undefined : Number(options.minIdleHours);
  if (minIdleHours !== undefined && (!Number.isFinite(minIdleHours) || minIdleHours < 0)) {
    throw new InvalidArgumentError(
      '--min-idle-hours',
      `expected a number of hours >= 0, got ${JSON.stringify(options.minIdleHours)}`,
    );
  }
  const maxAgeDays = options.maxAgeDays === undefined ? undefined : Number(options.maxAgeDays);
  if (maxAgeDays !== undefined && (!Number.isFinite(maxAgeDays) || maxAgeDays < 0)) {
    throw new InvalidArgumentError(
      '--max-age-days',
      `expected a number of days >= 0, got ${JSON.stringify(options.maxAgeDays)}`,
    );
  }
  const config = memoriesConfig(options.home, options.io.env, {
    model: options.model,
    baseUrl: options.baseUrl,
    maxMemoryBytes: options.maxMemoryBytes,
  });
  const client = createModelClient(config, { env: options.io.env });
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', stop);
  const tty = options.io.stderr.isTTY === true;
  try {
    const result = await withStore(options.home, (store) =>
      runMemories({
        store,
        client,
        config,
        phases,
        maxThreads: max,
        minIdleHours,
        maxAgeDays,
        allowedSources: options.source && options.source.length > 0 ? options.source : undefined,
        signal: controller.signal,
        onProgress: tty
          ? (p) =>
              options.io.stderr.write(
                `\r\u001b[2K${p.phase}: ${p.done}/${p.claimed} threads (${p.failed} failed)`,
              )
          : undefined,
      }),
    );
    if (tty) options.io.stderr.write('\r\u001b[2K');
    if (options.json) writeJson(options.io.stdout, result);
    else writeLines(options.io.stdout, renderRun(result));
    const problems = runProblems(result);
    if (problems.length > 0) {
      writeLines(
        options.io.stderr,
        problems.map((problem) => `agent-state: ${problem}`),
      );
      throw new CommandExit(ExitCode.Failure);
    }
  } finally {
    process.removeListener('SIGINT', stop);
  }
}

/** Why a run exits 1: failed jobs, a failed consolidation, an interruption. Empty when none. */
function runProblems(result: RunMemoriesResult): string[] {
  const problems: string[] = [];
  const failed = result.phase1.failed;
  if (failed > 0) {
    problems.push(
      `${failed} thread(s) failed in phase 1; they are retried after an hour (see \`agent-state memories status\`)`,
    );
  }
  if (result.phase2.outcome === 'failed') {
    problems.push('the consolidation failed; it is retried after an hour');
  }
  if (result.stopped) {
    problems.push('interrupted; the next run takes the stopped jobs up at once');
  }
  return problems;
}

function renderRun(result: RunMemoriesResult): string[] {
  const p1 = result.phase1;
  const lines = [
    `phase 1: ${p1.claimed} thread(s) claimed: ${p1.succeeded} with memories, ${p1.noOutput} with nothing to remember, ${p1.failed} failed${p1.interrupted > 0 ? `, ${p1.interrupted} interrupted (given back)` : ''}`,
  ];
  for (const failure of p1.failures.slice(0, 10))
    lines.push(`  failed ${failure.threadId}: ${failure.reason}`);
  const p2 = result.phase2;
  const phase2Text: Record<RunMemoriesResult['phase2']['outcome'], string> = {
    consolidated: `consolidated (${p2.filesWritten.length} file(s) written)`,
    'not-dirty': 'nothing new to consolidate',
    running: 'another process is consolidating',
    failed: `failed: ${p2.reason ?? 'unknown'}`,
    skipped: p2.reason === undefined ? 'skipped' : `skipped: ${p2.reason}`,
    'lease-lost': 'stopped: another process took the consolidation over',
  };
  lines.push(`phase 2: ${phase2Text[p2.outcome]}`);
  return lines;
}

/** `agent-state memories status`: job counts, the phase-2 lock and the files with their sizes. */
export async function runMemoriesStatus(options: {
  home: string;
  json: boolean;
  io: CliIo;
}): Promise<void> {
  const root = memoriesRoot(options.home);
  const { maxMemoryBytes } = memoriesConfig(options.home, options.io.env, {});
  const counts = await withStore(options.home, (store) => store.memories.jobCounts());
  const files = existsSync(root) ? readdirSync(root).sort() : [];
  const memoryFiles = await memoryFilesStatus(root);
  if (options.json) {
    writeJson(options.io.stdout, { root, ...counts, files, memoryFiles, maxMemoryBytes });
    return;
  }
  const { stage1, phase2 } = counts;
  const consolidation = [
    phase2.status ?? 'never run',
    ...(phase2.dirty ? ['new input to consolidate'] : []),
    ...(phase2.holder === null ? [] : [`held by ${formatHolder(phase2.holder)}`]),
    ...(phase2.leaseUntil === null ? [] : [`leased until ${formatIsoTime(phase2.leaseUntil)}`]),
    ...(phase2.retryAt === null ? [] : [`retry after ${formatIsoTime(phase2.retryAt)}`]),
    ...(phase2.lastError === null ? [] : [`last error: ${oneLine(phase2.lastError)}`]),
  ];
  const colors = colorsFor(options.io.stdout, options.io.env);
  const memory =
    memoryFiles.memoryBytes === null
      ? 'none yet'
      : `${formatBytes(memoryFiles.memoryBytes)} of ${formatBytes(maxMemoryBytes)} allowed`;
  writeLines(
    options.io.stdout,
    alignedRows(
      [
        ['memories root', root],
        [
          'stage-1 jobs',
          `${stage1.done} done, ${stage1.running} running, ${stage1.pending} pending, ${stage1.error} failed (to retry), ${stage1.exhausted} out of retries`,
        ],
        ['disabled threads', `${counts.disabledThreads} (never extracted)`],
        ['phase 2', consolidation.join('; ')],
        ['outputs', String(counts.outputs)],
        ['MEMORY.md', memory],
        ['files', memoryFilesText(memoryFiles, colors)],
      ],
      { indent: '' },
    ),
  );
}

/** The memories configuration of a home: options, then the environment, then config.toml. */
function memoriesConfig(
  home: string,
  env: CliIo['env'],
  options: NonNullable<Parameters<typeof resolveMemoriesModelConfig>[0]['options']>,
) {
  const configPath = join(home, 'config.toml');
  return resolveMemoriesModelConfig({
    options,
    env,
    configToml: existsSync(configPath) ? readFileSync(configPath, 'utf8') : undefined,
    configPath,
  });
}

/** `agent-state memories show`: the memory summary a new session gets (the read path). */
export async function runMemoriesShow(options: {
  home: string;
  json: boolean;
  io: CliIo;
}): Promise<void> {
  requireHome(options.home);
  const root = memoriesRoot(options.home);
  const summary = await readMemorySummary({ root, maxTokens: 5_000 });
  if (options.json) {
    writeJson(options.io.stdout, { root, summary });
    return;
  }
  options.io.stdout.write(
    summary === ''
      ? `no memory summary yet in ${root}\n`
      : summary.endsWith('\n')
        ? summary
        : `${summary}\n`,
  );
}
