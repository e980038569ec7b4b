import {
  chmodSync,
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  symlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join, relative } from 'node:path';

import { ManualClock, type StateStore, openStateStore } from '@agent-state/state';
import {
  CODEX_FIXTURE_VERSIONS,
  CODEX_SEED_COLUMNS,
  copyCodexHome,
  generateCorpus,
  loadExpectedThreads,
  tempDirs,
} from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { type BackfillProgress, runBackfill } from './run-backfill.js';
import { BACKFILL_GENERATION } from './unindexed-rollouts.js';

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

async function open(home: string, clock?: ManualClock): Promise<StateStore> {
  const store = await openStateStore({ home, clock });
  stores.push(store);
  return store;
}

async function storeRows(store: StateStore, home: string) {
  const rows = [];
  for (const archived of [false, true]) {
    for (const id of await store.threads.listIds({ limit: 10_000, archived })) rows.push(id);
  }
  // listIds hides threads without a first user message: read every row by id from the files.
  const all = await Promise.all(
    readdirSync(join(home, 'sessions'), { recursive: true })
      .concat(readdirSync(join(home, 'archived_sessions')))
      .filter((n) => String(n).endsWith('.jsonl'))
      .map((n) => String(n).slice(-42, -6))
      .map((id) => store.threads.get(id)),
  );
  return all
    .filter((m) => m !== undefined)
    .map((m) => ({
      id: m.id,
      rollout_path: relative(home, m.rolloutPath),
      created_at: m.createdAt,
      updated_at: m.updatedAt,
      source: m.source,
      model_provider: m.modelProvider,
      cwd: m.cwd,
      title: m.title,
      sandbox_policy: m.sandboxPolicy,
      approval_mode: m.approvalMode,
      tokens_used: m.tokensUsed,
      archived: m.archivedAt === null ? 0 : 1,
      archived_at: m.archivedAt,
      git_sha: m.gitSha,
      git_branch: m.gitBranch,
      git_origin_url: m.gitOriginUrl,
      cli_version: m.cliVersion,
      first_user_message: m.firstUserMessage ?? '',
    }))
    .sort((a, b) => a.created_at - b.created_at || a.id.localeCompare(b.id));
}

describe.each(CODEX_FIXTURE_VERSIONS)('backfill of a real Codex %s home', (version) => {
  it('stores every original (Codex, early 2026) column of every thread exactly as Codex’s own backfill does', async () => {
    const home = copyCodexHome(version, temp.make(version));
    const store = await open(home);
    const progress: BackfillProgress[] = [];
    const result = await runBackfill({ store, workers: 0, onProgress: (p) => progress.push(p) });

    const expected = loadExpectedThreads(version, 'backfill');
    expect(result).toMatchObject({
      outcome: 'complete',
      scanned: expected.length,
      upserted: expected.length,
      failed: 0,
    });
    expect(progress.at(-1)).toMatchObject({ total: expected.length, done: expected.length });
    expect(await storeRows(store, home)).toEqual(
      expected.map((row) => Object.fromEntries(CODEX_SEED_COLUMNS.map((c) => [c, row[c]]))),
    );
    expect((await store.backfill.get()).status).toBe('complete');
    expect(await runBackfill({ store, workers: 0 })).toMatchObject({ outcome: 'already-complete' });
  });
});

describe('backfill', () => {
  it('indexes a corpus on worker threads, in batches with a checkpoint each', async () => {
    const home = temp.make('corpus');
    const corpus = generateCorpus({ home, count: 450, seed: 11 });
    const store = await open(home);
    const watermarks: Array<string | null> = [];
    const result = await runBackfill({
      store,
      workers: 2,
      batchSize: 200,
      onProgress: (p) => watermarks.push(p.lastWatermark),
    });
    expect(result).toMatchObject({ outcome: 'complete', scanned: 450, upserted: 450, failed: 0 });
    expect(watermarks).toHaveLength(4); // start + 3 batches (200, 200, 50)
    const sorted = corpus.files.map((f) => relative(home, f.path)).sort();
    expect(watermarks.slice(1)).toEqual([sorted[199], sorted[399], sorted[449]]);
    expect(await store.threads.count()).toBe(450);
  });

  it('resumes strictly after the saved watermark once the previous lease is stale', async () => {
    const home = temp.make('resume');
    const corpus = generateCorpus({ home, count: 3, seed: 5, archivedShare: 0 });
    const [first, second, third] = corpus.files.map((f) => relative(home, f.path)).sort();
    const clock = new ManualClock(Date.parse('2026-11-21T00:00:00Z'));
    const store = await open(home, clock);
    const claim = await store.backfill.tryClaim({
      leaseSeconds: 60,
      generation: BACKFILL_GENERATION,
    });
    if (claim.outcome !== 'claimed') throw new Error('claim');
    await store.backfill.checkpoint(claim.lease, first!);
    // That process "died": its lease is still fresh, so nobody may take over yet.
    expect(await runBackfill({ store, workers: 0 })).toMatchObject({ outcome: 'held' });
    clock.advance(61_000);
    const result = await runBackfill({ store, workers: 0 });
    expect(result).toMatchObject({
      outcome: 'complete',
      scanned: 2,
      upserted: 2,
      lastWatermark: third,
    });
    const ids = (await store.threads.listIds({ limit: 10 })).length;
    expect(ids).toBe(2);
    expect(await store.backfill.get()).toMatchObject({ status: 'complete', lastWatermark: third });
    expect(second! < third!).toBe(true);
  });

  it('backfills a folder of broken rollouts without stopping, naming every bad file', async () => {
    const home = temp.make('broken');
    generateCorpus({ home, count: 5, seed: 2, archivedShare: 0 });
    const day = join(home, 'sessions', '2026', '01', '01');
    mkdirSync(day, { recursive: true });
    const id = (n: number) => `01a1fca2-0000-7000-8000-${String(n).padStart(12, '0')}`;
    const name = (n: number) => join(day, `rollout-2026-01-01T00-00-0${n}-${id(n)}.jsonl`);
    const meta = (n: number, extra = '') =>
      `{"timestamp":"2026-01-01T00:00:0${n}.000Z","type":"session_meta","payload":{"id":"${id(n)}","timestamp":"2026-01-01T00:00:0${n}.000Z","cwd":"/w","originator":"x","cli_version":"1","source":"cli","model_provider":"p","base_instructions":null${extra}}}`;
    const user = (text: string) =>
      `{"timestamp":"2026-01-01T00:00:09.000Z","type":"event_msg","payload":{"type":"user_message","message":${JSON.stringify(text)},"images":[],"local_images":[],"text_elements":[]}}`;
    writeFileSync(name(1), ''); // empty
    // Garbage, but a valid rollout name: indexed from the name alone, as Codex does.
    writeFileSync(name(2), Buffer.from([0xff, 0xfe, 0x00, 0x41, 0x0a, 0x80, 0x81]));
    writeFileSync(
      name(3),
      `${meta(3)}\n${user('kept')}\n{"timestamp":"2026-01-01T00:00:10.000Z","type":"event_msg","pay`,
    ); // truncated
    writeFileSync(join(day, 'rollout-no-meta.jsonl'), `${user('orphan')}\n`); // no session_meta, bad name
    writeFileSync(
      name(4),
      `${meta(4)}\n{"timestamp":"x","type":"session_meta","payload":{"id":"${id(9)}","timestamp":"2026-01-01T00:00:09.000Z","cwd":"/other"}}\n${user('forked')}\n`,
    ); // foreign meta
    // A 100 MB single line (a huge tool output): skipped as it streams by, never held in memory.
    const huge = openSync(name(5), 'w');
    writeSync(
      huge,
      `${meta(5)}\n{"timestamp":"2026-01-01T00:00:05.000Z","type":"response_item","payload":{"type":"function_call_output","call_id":"c","output":"`,
    );
    const block = Buffer.alloc(1024 * 1024, 'x');
    for (let i = 0; i < 100; i += 1) writeSync(huge, block);
    writeSync(huge, `"}}\n${user('after a long line')}\n`);
    closeSync(huge);
    // Symbolic links are not collected (Codex collects regular files only): not even read.
    symlinkSync('rollout-loop.jsonl', join(day, 'rollout-loop.jsonl')); // link to itself
    symlinkSync(join(home, 'missing.jsonl'), join(day, 'rollout-dangling.jsonl'));

    const store = await open(home);
    const result = await runBackfill({ store, workers: 0 });
    expect(result.outcome).toBe('complete');
    expect(result.scanned).toBe(5 + 6);
    expect(result.upserted).toBe(5 + 4);
    expect(result.failed).toBe(2);
    const failed = Object.fromEntries(
      result.failures.map((f) => [f.path.slice(day.length + 1), f.code]),
    );
    expect(failed).toEqual({
      [name(1).slice(day.length + 1)]: 'ROLLOUT_INVALID',
      'rollout-no-meta.jsonl': 'ROLLOUT_INVALID',
    });
    expect(result.failures.every((f) => f.message.startsWith(f.path))).toBe(true);
    expect(await store.threads.get(id(3))).toMatchObject({ title: 'kept' });
    expect(await store.threads.get(id(4))).toMatchObject({ title: 'forked', cwd: '/w' });
    expect(await store.threads.get(id(5))).toMatchObject({ title: 'after a long line' });
    expect(await store.threads.get(id(2))).toMatchObject({
      source: 'vscode',
      firstUserMessage: null,
    });
    // Each garbage line is reported twice (invalid UTF-8, then not JSON); plus the truncated line,
    // and the 100 MB line (the search index reads tool output, so its loss is reported).
    expect(result.linesSkipped).toBe(6);
  });

  it.skipIf(process.getuid?.() === 0)(
    'reports a rollout it has no permission to read',
    async () => {
      const home = temp.make('perm');
      const corpus = generateCorpus({ home, count: 2, seed: 6, archivedShare: 0 });
      chmodSync(corpus.files[0]!.path, 0o000);
      const store = await open(home);
      const result = await runBackfill({ store, workers: 0 });
      expect(result).toMatchObject({ outcome: 'complete', upserted: 1, failed: 1 });
      expect(result.failures[0]).toMatchObject({
        path: corpus.files[0]!.path,
        code: 'ROLLOUT_UNREADABLE',
      });
      expect(result.failures[0]!.message).toContain('permission denied');
    },
  );

  it('records its progress (earlier runs included) for the processes that wait for it', async () => {
    const home = temp.make('progress');
    const corpus = generateCorpus({ home, count: 25, seed: 12, archivedShare: 0 });
    const [first] = corpus.files.map((f) => relative(home, f.path)).sort();
    const store = await open(home);
    // An earlier run indexed the first rollout and stopped.
    const claim = await store.backfill.tryClaim({
      leaseSeconds: 60,
      generation: BACKFILL_GENERATION,
    });
    if (claim.outcome !== 'claimed') throw new Error('claim');
    await store.backfill.release(await store.backfill.checkpoint(claim.lease, first!));

    const seen: Array<Promise<unknown>> = [];
    const result = await runBackfill({
      store,
      workers: 0,
      batchSize: 10,
      // Queued behind the backfill's own writes: each read sees the checkpoint just made.
      onProgress: () => seen.push(store.backfill.get().then((s) => [s.progress, s.holder?.pid])),
    });
    expect(result).toMatchObject({ outcome: 'complete', scanned: 24 });
    expect(await Promise.all(seen)).toEqual([
      [{ done: 1, total: 25 }, process.pid],
      [{ done: 11, total: 25 }, process.pid],
      [{ done: 21, total: 25 }, process.pid],
      [{ done: 25, total: 25 }, process.pid],
    ]);
    expect((await store.backfill.get()).progress).toBeNull();
  });

  it('reports who holds the lease when another process runs the backfill', async () => {
    const home = temp.make('held');
    generateCorpus({ home, count: 3, seed: 2 });
    const holder = { host: 'build-box', pid: 4242, startedAt: 'linux:boot:1' };
    const other = await openStateStore({
      home,
      holderProbe: { current: () => holder, isDeadOnThisHost: () => false },
    });
    stores.push(other);
    expect((await other.backfill.tryClaim({ leaseSeconds: 60 })).outcome).toBe('claimed');
    const store = await open(home);
    expect(await runBackfill({ store, workers: 0 })).toMatchObject({
      outcome: 'held',
      holder,
      scanned: 0,
    });
  });

  it('stops with lease-lost when another process takes the lease over mid-run', async () => {
    const home = temp.make('takeover');
    generateCorpus({ home, count: 30, seed: 9 });
    const clock = new ManualClock(Date.parse('2026-11-21T00:00:00Z'));
    const store = await open(home, clock);
    const rival = await open(home, new ManualClock(Date.parse('2026-11-21T01:00:00Z')));
    let batches = 0;
    const result = await runBackfill({
      store,
      workers: 0,
      batchSize: 10,
      leaseSeconds: 60,
      onProgress: () => {
        batches += 1;
        // After the first batch, a process an hour ahead sees the lease as stale and takes it.
        if (batches === 2) void rival.backfill.tryClaim({ leaseSeconds: 60 });
      },
    });
    expect(result.outcome).toBe('lease-lost');
    expect(result.upserted).toBeLessThan(30);
    expect((await store.backfill.get()).status).toBe('running');
  });

  it('stops with lease-lost when its lease ran out mid-run, even with nobody taking it over', async () => {
    const home = temp.make('slept');
    generateCorpus({ home, count: 30, seed: 9 });
    const clock = new ManualClock(Date.parse('2026-11-21T00:00:00Z'));
    const store = await open(home, clock);
    let batches = 0;
    const result = await runBackfill({
      store,
      workers: 0,
      batchSize: 10,
      leaseSeconds: 60,
      onProgress: () => {
        batches += 1;
        // After the first batch the machine "sleeps" past the lease: the heartbeat that comes
        // due finds it lost, and so would the next checkpoint.
        if (batches === 2) clock.advance(61_000);
      },
    });
    expect(result.outcome).toBe('lease-lost');
    expect(result.upserted).toBeLessThan(30);
    expect((await store.backfill.get()).status).toBe('running');
    // The next run takes the expired lease over and finishes.
    expect(await runBackfill({ store, workers: 0 })).toMatchObject({ outcome: 'complete' });
  });

  it('aborts on its signal after the current batch and releases the lease', async () => {
    const home = temp.make('abort');
    generateCorpus({ home, count: 30, seed: 4 });
    const store = await open(home);
    const controller = new AbortController();
    const result = await runBackfill({
      store,
      workers: 0,
      batchSize: 10,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.done === 10) controller.abort();
      },
    });
    expect(result).toMatchObject({ outcome: 'aborted', upserted: 10 });
    expect((await store.backfill.get()).status).toBe('pending');
    expect(await runBackfill({ store, workers: 0 })).toMatchObject({
      outcome: 'complete',
      upserted: 20,
    });
  });
});
