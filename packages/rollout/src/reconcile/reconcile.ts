import { performance } from 'node:perf_hooks';

import {
  type Logger,
  type AgentStateStore,
  diffThreadMetadata,
  isAgentStateError,
} from '@agent-state/state';

import { collectRollouts } from '../backfill/collect-rollouts.js';
import { ExtractPool } from '../backfill/extract-pool.js';
import type { ExtractedRollout } from '../extract/extract-rollout.js';
import { DEFAULT_MODEL_PROVIDER } from '../extract/metadata-applier.js';
import { fileExists } from '../fs/file-exists.js';
import { extractRollouts, writeIndexed } from '../indexer/index-rollouts.js';
import { homeRolloutsMatcher } from '../paths/rollout-paths.js';
import { keepArchiveTime } from '../indexer/keep-archive-time.js';

/**
 * Kinds of disagreement between the store and the rollouts:
 * - `missing_row`: a rollout the store does not know;
 * - `stale_row`: a row whose rollout is gone;
 * - `field_mismatch`: a row whose fields differ from its rollout (named in `fields`);
 * - `unreadable_rollout`: a rollout (or folder) that cannot be read;
 * - `duplicate_rollout`: two rollouts for one thread id (left for a person to resolve).
 *
 * @example
 * ```ts
 * const reason: ReconcileReason = 'duplicate_rollout';
 * const toResolve = report.findings.filter((f) => f.reason === reason);
 * ```
 */
export type ReconcileReason =
  'missing_row' | 'stale_row' | 'field_mismatch' | 'unreadable_rollout' | 'duplicate_rollout';

/**
 * One discrepancy found by {@link reconcile}.
 *
 * @example
 * ```ts
 * for (const f of report.findings) console.log(f.reason, f.threadId ?? '', f.path, f.fields?.join(',') ?? '');
 * ```
 */
export interface ReconcileFinding {
  reason: ReconcileReason;
  threadId?: string | undefined;
  path: string;
  /** For `field_mismatch`: the fields that differ, in declaration order. */
  fields?: string[] | undefined;
  /** Whether `repair` fixed it. */
  repaired: boolean;
  /** For `unreadable_rollout` and `duplicate_rollout`: why. */
  message?: string | undefined;
}

/**
 * Options of {@link reconcile}.
 *
 * @example
 * ```ts
 * const options: ReconcileOptions = { store, repair: true, workers: 0 };
 * const report = await reconcile(options);
 * ```
 */
export interface ReconcileOptions {
  store: AgentStateStore;
  /** Default: the store's home. */
  home?: string | undefined;
  /** Fix what can be fixed: index missing rollouts, rewrite differing rows, delete stale rows. */
  repair?: boolean | undefined;
  defaultProvider?: string | undefined;
  /**
   * Extraction worker threads beside this one (default: as many as the work repays, up to one per
   * further core, at most 8; 0 = this thread only).
   */
  workers?: number | undefined;
  logger?: Logger | undefined;
}

/**
 * What {@link reconcile} found (and fixed).
 *
 * @example
 * ```ts
 * const report = await reconcile({ store, repair: true });
 * console.log(report.counts, `${report.repaired} repaired`);
 * ```
 */
export interface ReconcileReport {
  scannedRollouts: number;
  scannedRows: number;
  /** Every finding (at most 1,000 are kept; `counts` has them all). */
  findings: ReconcileFinding[];
  counts: Record<ReconcileReason, number>;
  repaired: number;
  durationMs: number;
}

const STAGE = 'reconcile';
const MAX_FINDINGS = 1000;
const CHUNK = 500;

/**
 * Compares the store with the rollouts of its home: every rollout is read (on worker threads) and
 * checked against its row, and every row against its rollout. Each discrepancy is recorded in the
 * store's counters (stage `reconcile`), logged with its thread and path, and returned; with
 * `repair: true` missing rows are indexed, differing rows rewritten from the rollout (the source of
 * truth) and rows whose rollout is gone deleted. Rollouts are never modified.
 *
 * @example
 * ```ts
 * const report = await reconcile({ store, repair: false });
 * if (report.findings.length > 0) console.log(`${report.findings.length} discrepancies; run with repair`);
 * ```
 */
export async function reconcile(options: ReconcileOptions): Promise<ReconcileReport> {
  const started = performance.now();
  const { store } = options;
  const home = options.home ?? store.home;
  const repair = options.repair ?? false;
  const defaultProvider = options.defaultProvider ?? DEFAULT_MODEL_PROVIDER;
  const logger = (options.logger ?? store.logger).child({ target: 'agent_state::reconcile' });
  const report: ReconcileReport = {
    scannedRollouts: 0,
    scannedRows: 0,
    findings: [],
    counts: {
      missing_row: 0,
      stale_row: 0,
      field_mismatch: 0,
      unreadable_rollout: 0,
      duplicate_rollout: 0,
    },
    repaired: 0,
    durationMs: 0,
  };
  const found = async (finding: ReconcileFinding): Promise<void> => {
    report.counts[finding.reason] += 1;
    if (finding.repaired) report.repaired += 1;
    if (report.findings.length < MAX_FINDINGS) report.findings.push(finding);
    logger.warn(`discrepancy: ${finding.reason}`, { ...finding });
    await store.discrepancies.record({
      stage: STAGE,
      reason: finding.reason,
      threadId: finding.threadId,
      path: finding.path,
    });
  };

  const { files, problems } = await collectRollouts(home);
  for (const problem of problems) {
    await found({
      reason: 'unreadable_rollout',
      path: problem.path,
      message: problem.message,
      repaired: false,
    });
  }
  const seen = new Map<string, string>();
  // Worker threads start only when there is enough to read to repay their start-up.
  const pool = new ExtractPool({ size: options.workers, expectedItems: files.length });
  try {
    for (let start = 0; start < files.length; start += CHUNK) {
      const chunk = files.slice(start, start + CHUNK);
      const outcomes = await extractRollouts({ rollouts: chunk, defaultProvider, pool });
      const extracted: Array<{ path: string; result: ExtractedRollout }> = [];
      for (const outcome of outcomes) {
        report.scannedRollouts += 1;
        if (outcome.ok) {
          extracted.push({ path: outcome.path, result: outcome.rollout });
        } else {
          const { path, error } = outcome;
          const message = isAgentStateError(error) ? error.message : String(error);
          await found({ reason: 'unreadable_rollout', path, message, repaired: false });
        }
      }
      const rows = new Map(
        (await store.threads.getMany(extracted.map((e) => e.result.metadata.id))).map((r) => [
          r.id,
          r,
        ]),
      );
      const toWrite: ExtractedRollout[] = [];
      for (const { path, result } of extracted) {
        const { metadata } = result;
        const other = seen.get(metadata.id);
        if (other !== undefined) {
          await found({
            reason: 'duplicate_rollout',
            threadId: metadata.id,
            path,
            message: `same thread id as ${other}`,
            repaired: false,
          });
          continue;
        }
        seen.set(metadata.id, path);
        const row = rows.get(metadata.id);
        if (!row) {
          await found({ reason: 'missing_row', threadId: metadata.id, path, repaired: repair });
          if (repair) toWrite.push(result);
          continue;
        }
        const wanted = keepArchiveTime(row, metadata);
        const fields = diffThreadMetadata(row, wanted);
        if (fields.length > 0) {
          await found({
            reason: 'field_mismatch',
            threadId: metadata.id,
            path,
            fields,
            repaired: repair,
          });
          if (repair) toWrite.push({ ...result, metadata: wanted });
        }
      }
      await writeIndexed(store, toWrite);
    }
  } finally {
    await pool.close();
  }

  // Rows whose rollout was not found: stale when the file is gone, or is not in this home (a
  // home copied with its database points at the original's files).
  const inHome = homeRolloutsMatcher(home);
  for (let page = await store.threads.scan({ limit: CHUNK }); page.length > 0;) {
    report.scannedRows += page.length;
    for (const row of page) {
      if (seen.has(row.id)) continue;
      const elsewhere = !inHome(row.rolloutPath);
      if (!elsewhere && fileExists(row.rolloutPath)) continue;
      await found({
        reason: 'stale_row',
        threadId: row.id,
        path: row.rolloutPath,
        ...(elsewhere ? { message: 'the rollout is not in this home' } : {}),
        repaired: repair,
      });
      if (repair) await store.threads.delete(row.id);
    }
    page = await store.threads.scan({ limit: CHUNK, afterId: page[page.length - 1]!.id });
  }
  report.durationMs = Math.round(performance.now() - started);
  logger.info('reconcile done', { ...report.counts, repaired: report.repaired });
  return report;
}
