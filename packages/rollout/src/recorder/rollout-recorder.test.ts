import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  type LogRecord,
  ManualClock,
  type StateStore,
  createLogger,
  noopLogger,
  openStateStore,
} from '@agent-state/state';
import { codexFixtureDir, copyCodexHome, tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { archiveThread } from '../archive/archive-thread.js';
import { extractRolloutMetadata } from '../extract/extract-rollout.js';
import { listThreads } from '../listing/list-threads.js';
import { newRolloutLocation } from '../paths/rollout-paths.js';
import { RolloutLineWriteSchema } from '../protocol/rollout-line.js';
import { SessionMetaSchema } from '../protocol/session-meta.js';
import { loadRollout } from '../reader/rollout-reader.js';
import type { RolloutItemInput } from './persistence-policy.js';
import {
  type CreateRolloutRecorderOptions,
  RolloutRecorder,
  type RolloutRecorderStore,
} from './rollout-recorder.js';
import { sampleNoise, sampleTurn, sampleTurnTokens } from '../../test/sample-session.js';
import { toWriteLine } from './write-line.js';

const T0 = Date.parse('2026-11-21T05:44:05.234Z');
const CWD = '/home/user/src/app';
const TURN_1 = '01a1fca2-1d77-7040-b2db-96ef5f71e5d4';
const TURN_2 = '01a1fca2-2570-7da0-a4c1-a211040a67e5';
const WORKSPACE_WRITE = {
  type: 'workspace-write',
  writable_roots: ['/home/user/src/app/build'],
  network_access: false,
  exclude_tmpdir_env_var: false,
  exclude_slash_tmp: false,
};
const TOOLS = [
  {
    name: 'lookup_ticket',
    description: 'Fetch a ticket by id',
    inputSchema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
  },
  { name: 'now', description: 'The current time', inputSchema: { type: 'object' } },
];

const temp = tempDirs();
const stores: StateStore[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  temp.cleanup();
});

async function openStore(home: string, clock: ManualClock): Promise<StateStore> {
  const store = await openStateStore({ home, clock });
  stores.push(store);
  return store;
}

function createOptions(
  home: string,
  clock: ManualClock,
  extra: Partial<CreateRolloutRecorderOptions> = {},
): CreateRolloutRecorderOptions {
  return {
    home,
    cwd: CWD,
    source: 'exec',
    originator: 'codex_exec',
    cliVersion: '0.100.0',
    modelProvider: 'mock',
    baseInstructions: 'You are a coding agent running in the Codex CLI.',
    git: {
      commitHash: '54bb7912008c9d8b017c8da6f8eef0b0168ec324',
      branch: 'main',
      repositoryUrl: 'https://example.invalid/acme/repo-a.git',
    },
    clock,
    logger: noopLogger,
    ...extra,
  };
}

function firstTurn(): RolloutItemInput[] {
  return sampleTurn({
    turnId: TURN_1,
    cwd: CWD,
    prompt: '## My request for Codex:\nRUN: ls -la',
    answer: 'The command finished.',
    approvalPolicy: 'on-request',
    sandboxPolicy: WORKSPACE_WRITE,
    tokensBefore: 0,
  });
}

function secondTurn(): RolloutItemInput[] {
  return sampleTurn({
    turnId: TURN_2,
    cwd: CWD,
    prompt: 'RUN: echo resumed',
    answer: 'resumed',
    approvalPolicy: 'never',
    sandboxPolicy: { type: 'read-only' },
    tokensBefore: sampleTurnTokens(0),
  });
}

function fileLines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n');
}

/** The items as they read back: type and payload of every line but the first. */
async function readItems(path: string) {
  const { entries, issueCount, sessionMeta } = await loadRollout(path);
  expect(issueCount).toBe(0);
  return {
    sessionMeta,
    types: entries.map((entry) => entry.line.type),
    items: entries.slice(1).map(({ line }) => ({ type: line.type, payload: line.payload })),
  };
}

describe('RolloutRecorder: lazy creation', () => {
  it('creates nothing before persist, then session_meta followed by the buffered items, idempotently', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(T0);
    const recorder = await RolloutRecorder.create(createOptions(home, clock));

    // A UUID v7 taken at the clock's time, and Codex's path layout.
    expect(recorder.threadId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(parseInt(recorder.threadId.replace(/-/g, '').slice(0, 12), 16)).toBe(T0);
    const { dir, name } = newRolloutLocation(new Date(T0), recorder.threadId);
    expect(recorder.path).toBe(join(home, dir, name));

    const items = firstTurn();
    await recorder.record(items.slice(0, 5));
    await recorder.record([...sampleNoise(TURN_1), ...items.slice(5)]);
    await recorder.flush();
    expect(recorder.persisted).toBe(false);
    expect(existsSync(recorder.path)).toBe(false);
    expect(existsSync(join(home, 'sessions'))).toBe(false);

    clock.advance(1_500);
    await recorder.persist();
    expect(recorder.persisted).toBe(true);
    const first = readFileSync(recorder.path);
    clock.advance(1_000);
    await recorder.persist();
    await recorder.flush();
    expect(readFileSync(recorder.path).equals(first)).toBe(true);

    const lines = fileLines(recorder.path).map(
      (text) => JSON.parse(text) as Record<string, unknown>,
    );
    expect(lines).toHaveLength(1 + items.length);
    expect(lines[0]).toEqual({
      timestamp: '2026-11-21T05:44:06.734Z', // written at persist time
      type: 'session_meta',
      payload: {
        id: recorder.threadId,
        timestamp: '2026-11-21T05:44:05.234Z', // the thread's start
        cwd: CWD,
        originator: 'codex_exec',
        cli_version: '0.100.0',
        source: 'exec',
        model_provider: 'mock',
        base_instructions: { text: 'You are a coding agent running in the Codex CLI.' },
        git: {
          commit_hash: '54bb7912008c9d8b017c8da6f8eef0b0168ec324',
          branch: 'main',
          repository_url: 'https://example.invalid/acme/repo-a.git',
        },
      },
    });
    expect(lines.slice(1).map(({ type, payload }) => ({ type, payload }))).toEqual(items);
    expect(new Set(lines.map((line) => line.timestamp))).toEqual(
      new Set(['2026-11-21T05:44:06.734Z']),
    );

    await recorder.close();
    await recorder.close(); // idempotent
    await expect(recorder.record(items)).rejects.toThrow(/closed/);
  });

  it('leaves no file for a thread that is never persisted', async () => {
    const home = temp.make('home');
    const recorder = await RolloutRecorder.create(createOptions(home, new ManualClock(T0)));
    await recorder.record(firstTurn());
    await recorder.close();
    expect(existsSync(recorder.path)).toBe(false);
    expect(existsSync(join(home, 'sessions'))).toBe(false);
  });

  it('writes session_meta keys in the order real Codex 0.100 does', async () => {
    const sessions = join(codexFixtureDir('v0.100.0'), 'home', 'sessions', '2026', '11', '21');
    const name = readdirSync(sessions).sort()[0];
    if (!name) throw new Error('no fixture rollout');
    const real = JSON.parse(fileLines(join(sessions, name))[0] ?? '') as {
      payload: Record<string, unknown>;
    };
    const home = temp.make('home');
    const recorder = await RolloutRecorder.create(createOptions(home, new ManualClock(T0)));
    await recorder.persist();
    await recorder.close();
    const ours = JSON.parse(fileLines(recorder.path)[0] ?? '') as {
      payload: Record<string, unknown>;
    };
    expect(Object.keys(ours)).toEqual(['timestamp', 'type', 'payload']);
    expect(Object.keys(ours.payload)).toEqual(Object.keys(real.payload));
    expect(Object.keys(ours.payload.git as object)).toEqual(
      Object.keys(real.payload.git as object),
    );
  });
});

describe('RolloutRecorder: round trip', () => {
  it('records a session, resumes it, and reads back exactly what was recorded; the store row equals the extraction', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(T0);
    const store = await openStore(home, clock);
    const turn1 = firstTurn();
    const turn2 = secondTurn();

    const recorder = await RolloutRecorder.create(createOptions(home, clock, { store }));
    const { path, threadId } = recorder;
    await recorder.record(turn1.slice(0, 6)); // up to the turn context, before the file exists
    expect(await store.threads.get(threadId)).toBeUndefined();
    clock.advance(40);
    await recorder.persist();
    const afterPersist = await store.threads.get(threadId);
    expect(afterPersist).toMatchObject({
      title: 'RUN: ls -la',
      firstUserMessage: 'RUN: ls -la',
      sandboxPolicy: JSON.stringify(WORKSPACE_WRITE),
      approvalMode: 'on-request',
      tokensUsed: 0,
    });
    clock.advance(10);
    await recorder.record([...sampleNoise(TURN_1), ...turn1.slice(6, 11)]);
    clock.advance(10);
    await recorder.record(turn1.slice(11));
    await recorder.close();

    const afterTurn1 = extractRolloutMetadata(path, { defaultProvider: 'openai' });
    expect(afterTurn1.metadata).toMatchObject({
      sandboxPolicy: JSON.stringify(WORKSPACE_WRITE),
      approvalMode: 'on-request',
      tokensUsed: sampleTurnTokens(0),
    });
    expect(await store.threads.get(threadId)).toEqual(afterTurn1.metadata);

    // Resume appends the second turn: no second session_meta, the same row updated.
    clock.advance(60_000);
    const resumed = await RolloutRecorder.resume({ path, store, clock, logger: noopLogger });
    expect(resumed.threadId).toBe(threadId);
    expect(resumed.persisted).toBe(true);
    await resumed.record([...turn2.slice(0, 8), ...sampleNoise(TURN_2)]);
    await resumed.record(turn2.slice(8));
    await resumed.close();

    const { sessionMeta, types, items } = await readItems(path);
    expect(types.filter((type) => type === 'session_meta')).toHaveLength(1);
    expect(types[0]).toBe('session_meta');
    expect(sessionMeta).toMatchObject({ id: threadId, cwd: CWD, source: 'exec' });
    expect(items).toEqual([...turn1, ...turn2]);

    // Exact on write: every line validates and re-serializes to the same bytes.
    for (const text of fileLines(path)) {
      const line = RolloutLineWriteSchema.parse(JSON.parse(text));
      expect(JSON.stringify(line)).toBe(text);
      expect(line.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }

    const { metadata, issueCount } = extractRolloutMetadata(path, { defaultProvider: 'openai' });
    expect(issueCount).toBe(0);
    expect(metadata).toMatchObject({
      id: threadId,
      rolloutPath: path,
      createdAt: Math.floor(T0 / 1000),
      source: 'exec',
      modelProvider: 'mock',
      cwd: CWD,
      cliVersion: '0.100.0',
      title: 'RUN: ls -la',
      firstUserMessage: 'RUN: ls -la',
      tokensUsed: sampleTurnTokens(sampleTurnTokens(0)),
      sandboxPolicy: '{"type":"read-only"}',
      approvalMode: 'never',
      archivedAt: null,
      gitSha: '54bb7912008c9d8b017c8da6f8eef0b0168ec324',
      gitBranch: 'main',
      gitOriginUrl: 'https://example.invalid/acme/repo-a.git',
    });
    expect(await store.threads.get(threadId)).toEqual(metadata);
  });

  it('replays every real Codex 0.100 rollout byte for byte', async () => {
    const sessions = join(codexFixtureDir('v0.100.0'), 'home', 'sessions', '2026', '11', '21');
    const names = readdirSync(sessions).filter((name) => name.endsWith('.jsonl'));
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      const original = readFileSync(join(sessions, name), 'utf8');
      const lines = original
        .slice(0, -1)
        .split('\n')
        .map((text) => JSON.parse(text) as { timestamp: string; type: string; payload: unknown });
      const [metaLine, ...rest] = lines;
      if (!metaLine) throw new Error(`${name}: empty`);
      const meta = SessionMetaSchema.parse(metaLine.payload);
      const clock = new ManualClock(Date.parse(meta.timestamp));
      const recorder = await RolloutRecorder.create({
        home: temp.make('replay'),
        threadId: meta.id,
        cwd: meta.cwd,
        source: meta.source ?? 'vscode',
        originator: meta.originator ?? '',
        cliVersion: meta.cli_version ?? '',
        modelProvider: meta.model_provider ?? '',
        baseInstructions: meta.base_instructions?.text ?? null,
        git: meta.git
          ? {
              commitHash: meta.git.commit_hash ?? undefined,
              branch: meta.git.branch ?? undefined,
              repositoryUrl: meta.git.repository_url ?? undefined,
            }
          : undefined,
        clock,
        logger: noopLogger,
      });
      clock.set(Date.parse(metaLine.timestamp));
      await recorder.persist();
      for (const line of rest) {
        clock.set(Date.parse(line.timestamp));
        await recorder.record([{ type: line.type, payload: line.payload } as RolloutItemInput]);
        await recorder.flush();
      }
      await recorder.close();
      expect(readFileSync(recorder.path, 'utf8'), name).toBe(original);
    }
  });
});

describe('RolloutRecorder: persistence policy', () => {
  it('never writes filtered events or unknown response items', async () => {
    const home = temp.make('home');
    const recorder = await RolloutRecorder.create(createOptions(home, new ManualClock(T0)));
    await recorder.persist();
    await recorder.record(sampleNoise(TURN_1)); // nothing survives: nothing is queued
    await recorder.record([
      { type: 'event_msg', payload: { type: 'agent_message_delta', delta: 'x' } },
      { type: 'event_msg', payload: { type: 'agent_message', message: 'kept' } },
    ]);
    await recorder.close();
    const { items } = await readItems(recorder.path);
    expect(items).toEqual([
      { type: 'event_msg', payload: { type: 'agent_message', message: 'kept' } },
    ]);
  });

  it('in extended mode writes exec_command_end, sanitized, and a Plan item_completed in both modes', async () => {
    const home = temp.make('home');
    const recorder = await RolloutRecorder.create(
      createOptions(home, new ManualClock(T0), { persistenceMode: 'extended' }),
    );
    const big = 'é'.repeat(6_000); // 12,000 bytes
    const plan = {
      type: 'item_completed',
      thread_id: recorder.threadId,
      turn_id: TURN_1,
      item: { type: 'Plan', id: 'plan-1', text: '1. Read\n2. Fix' },
    };
    await recorder.record([
      {
        type: 'event_msg',
        payload: {
          type: 'exec_command_end',
          call_id: 'call_1',
          turn_id: TURN_1,
          command: ['bash', '-lc', 'cat big'],
          cwd: CWD,
          parsed_cmd: [],
          source: 'agent',
          stdout: big,
          stderr: 'warning',
          aggregated_output: big,
          exit_code: 0,
          duration: { secs: 0, nanos: 5_000_000 },
          formatted_output: big,
          status: 'completed',
        },
      },
      { type: 'event_msg', payload: { type: 'exec_command_begin', call_id: 'call_2' } },
      { type: 'event_msg', payload: plan },
    ]);
    await recorder.persist();
    await recorder.close();
    const { items } = await readItems(recorder.path);
    expect(items.map((item) => (item.payload as { type: string }).type)).toEqual([
      'exec_command_end',
      'item_completed',
    ]);
    const end = items[0]?.payload as Record<string, unknown>;
    // Head and tail of 5,000 bytes each (2,500 'é'), 1,000 characters left out.
    expect(end.aggregated_output).toBe(
      `${'é'.repeat(2_500)}…1000 chars truncated…${'é'.repeat(2_500)}`,
    );
    expect([end.stdout, end.stderr, end.formatted_output]).toEqual(['', '', '']);
    expect(items[1]?.payload).toEqual(plan);
  });
});

describe('RolloutRecorder: validation and errors', () => {
  it('rejects an off-spec item, naming it, and queues nothing of its batch', async () => {
    const home = temp.make('home');
    const recorder = await RolloutRecorder.create(createOptions(home, new ManualClock(T0)));
    await recorder.persist();
    await expect(
      recorder.record([
        { type: 'event_msg', payload: { type: 'agent_message', message: 'fine' } },
        { type: 'event_msg', payload: { type: 'user_message', message: 'no local_images' } },
      ]),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'items[1]' });
    await expect(
      recorder.record([{ type: 'session_meta', payload: {} } as unknown as RolloutItemInput]),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'items[0]' });
    await recorder.close();
    expect(fileLines(recorder.path)).toHaveLength(1);
  });

  it('refuses to write into a file it did not create', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(T0);
    const threadId = '01a1fca2-1d67-7971-8727-3cd36fd8d76f';
    const first = await RolloutRecorder.create(createOptions(home, clock, { threadId }));
    await first.persist();
    await first.close();
    const before = readFileSync(first.path);

    const second = await RolloutRecorder.create(createOptions(home, clock, { threadId }));
    expect(second.path).toBe(first.path);
    await expect(second.persist()).rejects.toMatchObject({
      code: 'ROLLOUT_UNREADABLE',
      path: first.path,
    });
    await expect(second.record(firstTurn())).rejects.toThrow(/already exists/);
    await expect(second.close()).rejects.toThrow(/already exists/);
    expect(readFileSync(first.path).equals(before)).toBe(true);
  });

  it('rejects bad options', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(T0);
    await expect(
      RolloutRecorder.create(createOptions(home, clock, { threadId: '../etc' })),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'threadId' });
    await expect(
      RolloutRecorder.create(createOptions(home, clock, { queueCapacity: 0 })),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', argument: 'queueCapacity' });
  });

  it('resume: a missing file, a file without session_meta, and a last line cut short', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(T0);
    const options = { clock, logger: noopLogger };
    await expect(
      RolloutRecorder.resume({ ...options, path: join(home, 'missing.jsonl') }),
    ).rejects.toMatchObject({ code: 'ROLLOUT_UNREADABLE' });

    const headless = join(home, 'headless.jsonl');
    writeFileSync(
      headless,
      `${JSON.stringify(toWriteLine({ type: 'event_msg', payload: { type: 'agent_message', message: 'hi' } }, new Date(T0).toISOString()))}\n`,
    );
    await expect(RolloutRecorder.resume({ ...options, path: headless })).rejects.toMatchObject({
      code: 'ROLLOUT_INVALID',
    });

    // A writer killed mid-line: the next lines must not be glued to the broken one.
    const recorder = await RolloutRecorder.create(createOptions(home, clock));
    await recorder.record(firstTurn());
    await recorder.persist();
    await recorder.close();
    writeFileSync(recorder.path, '{"timestamp":"2026-11-21T05:44:09.000Z","type":"event_m', {
      flag: 'a',
    });
    const resumed = await RolloutRecorder.resume({ ...options, path: recorder.path });
    await resumed.record(secondTurn());
    await resumed.close();
    const { entries, issues } = await loadRollout(recorder.path);
    expect(issues.map((issue) => issue.kind)).toEqual(['invalid-json']);
    expect(
      entries.slice(1).map(({ line }) => ({ type: line.type, payload: line.payload })),
    ).toEqual([...firstTurn(), ...secondTurn()]);
  });

  it('resume refuses a paginated rollout of a newer Codex, leaving it byte for byte', async () => {
    const home = copyCodexHome('v0.169.0', temp.make('home'));
    const sessions = join(home, 'sessions');
    const path = readdirSync(sessions, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.jsonl'))
      .map((name) => join(sessions, name))[0];
    if (!path) throw new Error('no 0.169 rollout');
    const before = readFileSync(path);
    await expect(
      RolloutRecorder.resume({ path, clock: new ManualClock(T0), logger: noopLogger }),
    ).rejects.toMatchObject({ code: 'ROLLOUT_INVALID', path, message: /paginated/ });
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('fsyncs each batch when asked', async () => {
    const home = temp.make('home');
    const recorder = await RolloutRecorder.create(
      createOptions(home, new ManualClock(T0), { fsync: true }),
    );
    await recorder.record(firstTurn());
    await recorder.persist();
    await recorder.record(secondTurn());
    await recorder.close();
    const { items } = await readItems(recorder.path);
    expect(items).toEqual([...firstTurn(), ...secondTurn()]);
  });
});

describe('RolloutRecorder: the state store', () => {
  it('a thread archived while its recorder is open stays archived, at its new path', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(T0);
    const store = await openStore(home, clock);
    const recorder = await RolloutRecorder.create(createOptions(home, clock, { store }));
    await recorder.record(firstTurn());
    await recorder.persist();
    clock.advance(1_000);
    const { to } = await archiveThread({ home, threadId: recorder.threadId, store, clock });
    clock.advance(1_000);
    // The open file follows the move; the row must not point back at sessions/.
    await recorder.record(secondTurn());
    await recorder.close();
    const row = await store.threads.get(recorder.threadId);
    expect(row?.rolloutPath).toBe(to);
    expect(row?.archivedAt).not.toBeNull();
    expect(existsSync(recorder.path)).toBe(false);
    const { items } = await readItems(to);
    expect(items).toEqual([...firstTurn(), ...secondTurn()]);
    const page = await listThreads({ home, store, archived: true, pageSize: 10, freshness: false });
    expect(page.items.map((item) => item.id)).toEqual([recorder.threadId]);
  });

  it('persists dynamic tools once, with the thread row', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(T0);
    const store = await openStore(home, clock);
    const write = vi.spyOn(store.index, 'write');
    const recorder = await RolloutRecorder.create(
      createOptions(home, clock, { store, dynamicTools: TOOLS }),
    );
    await recorder.record(firstTurn().slice(0, 5));
    await recorder.persist();
    await recorder.persist();
    await recorder.record(firstTurn().slice(5));
    await recorder.close();

    // Every write carries the row; exactly one carries the tools, in the same transaction.
    const entries = write.mock.calls.flatMap(([batch]) => batch);
    expect(entries.length).toBeGreaterThan(1);
    expect(entries.every((entry) => entry.metadata.id === recorder.threadId)).toBe(true);
    const withTools = entries.filter((entry) => entry.dynamicTools);
    expect(withTools).toHaveLength(1);
    expect(withTools[0]?.dynamicTools).toEqual(TOOLS);
    expect(entries[0]).toBe(withTools[0]);
    expect(await store.dynamicTools.get(recorder.threadId)).toEqual(TOOLS);

    const { sessionMeta } = await loadRollout(recorder.path);
    expect(sessionMeta?.dynamic_tools).toEqual(
      TOOLS.map((tool) => ({
        name: tool.name,
        description: tool.description,
        input_schema: tool.inputSchema,
      })),
    );
    const extracted = extractRolloutMetadata(recorder.path, { defaultProvider: 'openai' });
    expect(extracted.dynamicTools).toEqual(TOOLS);
    expect(await store.threads.get(recorder.threadId)).toEqual(extracted.metadata);
  });

  it('keeps writing the rollout when the store throws, and logs each failure with the path', async () => {
    const home = temp.make('home');
    const failing: RolloutRecorderStore = {
      threads: {
        get: async () => {
          throw new Error('database disk image is malformed');
        },
      },
      index: {
        write: async () => {
          throw new Error('database is locked');
        },
      },
    };
    const records: LogRecord[] = [];
    const logger = createLogger((record) => records.push(record));
    const recorder = await RolloutRecorder.create(
      createOptions(home, new ManualClock(T0), { store: failing, logger, dynamicTools: TOOLS }),
    );
    await recorder.record(firstTurn().slice(0, 5));
    await recorder.persist();
    await recorder.record(firstTurn().slice(5));
    await recorder.record(secondTurn());
    await recorder.close();

    const { items } = await readItems(recorder.path);
    expect(items).toEqual([...firstTurn(), ...secondTurn()]);
    const warnings = records.filter((record) => record.level === 'warn');
    expect(warnings).toHaveLength(3);
    for (const warning of warnings) {
      expect(warning.fields).toMatchObject({ path: recorder.path, threadId: recorder.threadId });
    }
    expect(records.filter((record) => record.level === 'error')).toEqual([]);
  });

  it('a store that failed catches up on the next batch', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(T0);
    const store = await openStore(home, clock);
    let failures = 2; // the insert at persist and the first update
    const flaky: RolloutRecorderStore = {
      threads: {
        get: (id) => store.threads.get(id),
      },
      index: {
        write: async (entries) => {
          if (failures-- > 0) throw new Error('database is locked');
          await store.index.write(entries);
        },
      },
    };
    const recorder = await RolloutRecorder.create(
      createOptions(home, clock, { store: flaky, dynamicTools: TOOLS }),
    );
    await recorder.record(firstTurn().slice(0, 8));
    await recorder.persist();
    await recorder.record(firstTurn().slice(8));
    await recorder.record(secondTurn());
    await recorder.close();
    const extracted = extractRolloutMetadata(recorder.path, { defaultProvider: 'openai' });
    expect(await store.threads.get(recorder.threadId)).toEqual(extracted.metadata);
    expect(await store.dynamicTools.get(recorder.threadId)).toEqual(TOOLS);
  });

  it('resume rebuilds a missing row from the file', async () => {
    const home = temp.make('home');
    const clock = new ManualClock(T0);
    const recorder = await RolloutRecorder.create(
      createOptions(home, clock, { dynamicTools: TOOLS }),
    );
    await recorder.record(firstTurn());
    await recorder.persist();
    await recorder.close();

    const store = await openStore(home, clock);
    const resumed = await RolloutRecorder.resume({
      path: recorder.path,
      store,
      clock,
      logger: noopLogger,
    });
    await resumed.record(secondTurn());
    await resumed.close();
    const extracted = extractRolloutMetadata(recorder.path, { defaultProvider: 'openai' });
    expect(extracted.metadata.tokensUsed).toBe(sampleTurnTokens(sampleTurnTokens(0)));
    expect(await store.threads.get(recorder.threadId)).toEqual(extracted.metadata);
    expect(await store.dynamicTools.get(recorder.threadId)).toEqual(TOOLS);
  });
});
