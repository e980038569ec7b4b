import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  createModelClient,
  memoriesRoot,
  normalizeRolloutSlug,
  parseStage1Output,
  resolveMemoriesModelConfig,
  runMemories,
} from '@agent-state/memories';
import { runBackfill } from '@agent-state/rollout';
import { ManualClock, openStateStore } from '@agent-state/state';
import {
  type MockReply,
  type MockRequest,
  type MockResponsesServer,
  copyCodexHome,
  startMockResponsesServer,
  tempDirs,
} from '@agent-state/test-utils';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';

import { recordMatrix, seed, trials } from '../harness/trials.js';
import { snapshotTree } from './snapshot.js';

const temp = tempDirs();
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  temp.cleanup();
});

// The fixture threads were last written on 2026-11-21 around 05:44 UTC.
const LATER = Date.parse('2026-11-21T19:00:00Z');
const OUTSIDE_SECRET = 'OUTSIDE-SECRET-4711';
const VICTIM_ID = '01a1fca2-1f68-7ec1-9034-0ec41ef36cca';

const HOSTILE_SLUGS = [
  '../../outside/x',
  '/etc/passwd',
  'a\u0000b',
  '..',
  '../',
  'C:\\x',
  '\u0000',
];

const HOSTILE_PATHS = [
  '../outside/passwd',
  '../../outside/passwd',
  '/etc/passwd',
  'MEMORY.md\u0000.txt',
  'skills/../../outside/x',
  'skills/evil/SKILL.md',
  'skills/evil/new.md',
  'skills/linked/SKILL.md',
  'skills/linked',
  'skills\\..\\..\\outside\\x',
];

/** Phase 1 answers with hostile slugs; phase 2 tries every way out of the root, then stops. */
function hostileModel(server: () => MockResponsesServer) {
  let phase2Turns = 0;
  return (request: MockRequest): MockReply | undefined => {
    if (request.textFormat) {
      const n = server().requests.filter((r) => r.textFormat).length;
      return {
        kind: 'json',
        value: {
          rollout_summary: `Summary ${n}`,
          raw_memory: `- memory ${n}`,
          rollout_slug: HOSTILE_SLUGS[n % HOSTILE_SLUGS.length],
        },
      };
    }
    phase2Turns += 1;
    if (phase2Turns === 1) {
      return {
        kind: 'function-calls',
        calls: HOSTILE_PATHS.flatMap((path) => [
          { name: 'read_file', arguments: { path } },
          { name: 'write_file', arguments: { path, content: 'escaped' } },
          { name: 'delete_file', arguments: { path } },
        ]).concat([{ name: 'list_files', arguments: { path: 'skills/evil' } }]),
      };
    }
    return { kind: 'text', text: 'Done.' };
  };
}

describe('path safety: memories end to end (hostile model, planted symlinks)', () => {
  it('keeps every write, delete and read of a full run inside the memories root', async () => {
    const matrix = 'path-safety/memories-e2e';
    const matrixSeed = seed(matrix);
    let checks = 0;
    let failures = 0;
    try {
      const base = temp.make('memories-e2e');
      const home = copyCodexHome('v0.169.0', join(base, 'home'));
      const outside = join(base, 'outside');
      mkdirSync(outside);
      writeFileSync(join(outside, 'passwd'), `${OUTSIDE_SECRET}\n`);
      writeFileSync(join(outside, 'SKILL.md'), `${OUTSIDE_SECRET}\n`);
      writeFileSync(join(outside, `${VICTIM_ID}.md`), 'a file named like a summary\n');

      // A hostile process planted symlinks inside memories/ before the run.
      const root = memoriesRoot(home);
      mkdirSync(join(root, 'skills', 'linked'), { recursive: true });
      symlinkSync(outside, join(root, 'skills', 'evil'));
      symlinkSync(join(outside, 'SKILL.md'), join(root, 'skills', 'linked', 'SKILL.md'));
      const outsideBefore = snapshotTree(outside);

      const store = await openStateStore({ home, clock: new ManualClock(LATER) });
      const holder: { server?: MockResponsesServer } = {};
      const server = await startMockResponsesServer({
        handler: hostileModel(() => holder.server as MockResponsesServer),
      });
      holder.server = server;
      cleanups.push(async () => {
        await store.close();
        await server.close();
      });
      expect((await runBackfill({ store, workers: 0 })).outcome).toBe('complete');
      const config = resolveMemoriesModelConfig({
        options: { baseUrl: server.url, model: 'mock-model', maxRetries: 0, timeoutMs: 5_000 },
        env: {},
      });
      const client = createModelClient(config, { env: { OPENAI_API_KEY: 'test' } });
      const result = await runMemories({
        store,
        client,
        config,
        allowedSources: ['cli', 'vscode', 'exec'],
      });
      expect(result.phase1.succeeded).toBeGreaterThan(0);
      checks += 1;

      // Nothing outside changed, and nothing from outside reached the model.
      expect(snapshotTree(outside)).toEqual(outsideBefore);
      checks += 1;
      const sent = JSON.stringify(server.requests.map((request) => request.input));
      expect(sent).not.toContain(OUTSIDE_SECRET);
      checks += 1;
      // Every tool call with a hostile path was refused (an error output for each of them).
      const outputs = server.requests
        .flatMap((request): unknown[] =>
          Array.isArray(request.input) ? (request.input as unknown[]) : [],
        )
        .filter(
          (item): item is { type: string; output: string } =>
            typeof item === 'object' &&
            item !== null &&
            (item as { type?: unknown }).type === 'function_call_output',
        )
        .map((item) => item.output);
      expect(outputs.length).toBeGreaterThanOrEqual(HOSTILE_PATHS.length * 3);
      for (const output of outputs) expect(output, output).toMatch(/^error/);
      checks += outputs.length;
      // The planted links are still links, the summaries are named by thread ids only.
      expect(
        readdirSync(join(root, 'rollout_summaries')).every((name) =>
          /^[0-9a-f-]{36}\.md$/.test(name),
        ),
      ).toBe(true);
      const threads = await store.memories.listStage1Outputs({ limit: 100 });
      for (const output of threads) {
        if (output.rolloutSlug !== null) expect(output.rolloutSlug).toMatch(/^[a-z0-9_]+$/);
      }
      checks += threads.length;
    } catch (error) {
      failures += 1;
      throw error;
    } finally {
      recordMatrix({ matrix, seed: matrixSeed, trials: 1, kills: 0, checks, failures });
    }
  }, 60_000);

  it('never writes or deletes through a rollout_summaries symlink planted before a run', async () => {
    const matrix = 'path-safety/memories-summaries-link';
    const matrixSeed = seed(matrix);
    let checks = 0;
    let failures = 0;
    try {
      const base = temp.make('memories-link');
      const home = copyCodexHome('v0.169.0', join(base, 'home'));
      const outside = join(base, 'outside');
      mkdirSync(outside);
      // Named like a stale summary: the rebuild used to delete it through the link.
      writeFileSync(join(outside, `${VICTIM_ID}.md`), 'a file named like a summary\n');
      mkdirSync(memoriesRoot(home), { recursive: true });
      symlinkSync(outside, join(memoriesRoot(home), 'rollout_summaries'));
      const outsideBefore = snapshotTree(outside);

      const store = await openStateStore({ home, clock: new ManualClock(LATER) });
      const holder: { server?: MockResponsesServer } = {};
      const server = await startMockResponsesServer({
        handler: hostileModel(() => holder.server as MockResponsesServer),
      });
      holder.server = server;
      cleanups.push(async () => {
        await store.close();
        await server.close();
      });
      expect((await runBackfill({ store, workers: 0 })).outcome).toBe('complete');
      const config = resolveMemoriesModelConfig({
        options: { baseUrl: server.url, model: 'mock-model', maxRetries: 0, timeoutMs: 5_000 },
        env: {},
      });
      const client = createModelClient(config, { env: { OPENAI_API_KEY: 'test' } });
      // The run may fail (the artifacts cannot be written); it must not escape.
      await runMemories({ store, client, config, allowedSources: ['cli', 'vscode', 'exec'] }).catch(
        () => undefined,
      );
      expect(snapshotTree(outside)).toEqual(outsideBefore);
      checks += 1;
    } catch (error) {
      failures += 1;
      throw error;
    } finally {
      recordMatrix({ matrix, seed: matrixSeed, trials: 1, kills: 0, checks, failures });
    }
  }, 60_000);

  it('normalizes any model-supplied rollout_slug to a safe name (no separators, dots or NUL)', () => {
    const matrix = 'path-safety/rollout-slugs';
    const matrixSeed = seed(matrix);
    const numRuns = trials({ ci: 200, soak: 10_000 });
    let checks = 0;
    let failures = 0;
    const slugArb = fc.oneof(
      fc.constantFrom(...HOSTILE_SLUGS),
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc
        .array(fc.constantFrom('..', '/', '\\', '\u0000', 'a', 'É', '\u{1F600}', '\ud800', ' '), {
          maxLength: 20,
        })
        .map((parts) => parts.join('')),
    );
    try {
      fc.assert(
        fc.property(slugArb, (slug) => {
          checks += 1;
          const normalized = normalizeRolloutSlug(slug);
          if (normalized !== null) expect(normalized).toMatch(/^[a-z0-9]+(?:_[a-z0-9]+)*$/);
          const parsed = parseStage1Output(
            JSON.stringify({ rollout_summary: 's', raw_memory: 'm', rollout_slug: slug }),
          );
          if (!('empty' in parsed) && parsed.rolloutSlug !== null) {
            expect(parsed.rolloutSlug).toMatch(/^[a-z0-9]+(?:_[a-z0-9]+)*$/);
          }
        }),
        { numRuns, seed: matrixSeed, endOnFailure: true },
      );
    } catch (error) {
      failures += 1;
      process.stdout.write(`${matrix} failed; replay with AGENT_STATE_SEED=${matrixSeed}\n`);
      throw error;
    } finally {
      recordMatrix({ matrix, seed: matrixSeed, trials: numRuns, kills: 0, checks, failures });
    }
  });
});
