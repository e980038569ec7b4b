import {
  ErrorCode,
  type ThreadsPageOptions,
  ManualClock,
  type ThreadAnchor,
  type ThreadMetadata,
} from '@agent-state/state';
import { describe, expect, it } from 'vitest';

import { sampleThread as thread, sampleThreadId as idOf } from './sample-threads.js';
import { type StoreContractFactory, useContractStore } from './store-contract.js';

/** The contract of `store.threads` (see `ThreadStore`). */
export function describeThreadsContract(factory: StoreContractFactory): void {
  describe('threads', () => {
    const h = useContractStore(factory, () => new ManualClock(1_800_000_000_000));

    /** Pages through a listing and returns the ids in the order served. */
    async function allPages(options: Omit<ThreadsPageOptions, 'anchor'>): Promise<string[]> {
      const ids: string[] = [];
      let anchor: ThreadAnchor | null = null;
      for (let guard = 0; guard < 1000; guard += 1) {
        const page = await h.store.threads.list({ ...options, anchor });
        expect(page.items.length).toBeLessThanOrEqual(options.pageSize);
        ids.push(...page.items.map((t) => t.id));
        anchor = page.nextAnchor;
        if (!anchor) return ids;
      }
      throw new Error('pagination did not end');
    }

    describe('writes and reads', () => {
      it('round-trips every field, including nulls and unicode', async () => {
        const meta = thread(1, {
          title: 'Übersetze — unicode ✓ 日本語\nLine two',
          firstUserMessage: 'Übersetze — unicode ✓ 日本語\nLine two',
          sandboxPolicy: '{"type":"workspace-write","network_access":false}',
          approvalMode: 'never',
          tokensUsed: 520,
          archivedAt: null,
          gitSha: '54bb7912008c9d8b017c8da6f8eef0b0168ec324',
          gitBranch: 'feature/x',
          gitOriginUrl: 'git@example.invalid:acme/repo-b.git',
          cwd: '/home/user/projects/plain-d/nested dir',
          cliVersion: '0.169.0',
          threadSource: 'subagent',
          agentNickname: 'Peirce',
          agentRole: 'explorer',
          parentThreadId: idOf(7),
          forkedFromId: idOf(8),
        });
        await h.store.threads.upsert(meta);
        expect(await h.store.threads.get(meta.id)).toEqual(meta);
        expect(await h.store.threads.get(meta.id.toUpperCase())).toEqual(meta);
        expect(await h.store.threads.get(idOf(999))).toBeUndefined();
      });

      it('upsert fully replaces the row', async () => {
        await h.store.threads.upsert(thread(1, { gitBranch: 'main', tokensUsed: 10 }));
        const replaced = thread(1, {
          gitBranch: null,
          tokensUsed: 3,
          title: 'new',
          firstUserMessage: null,
        });
        await h.store.threads.upsert(replaced);
        expect(await h.store.threads.get(idOf(1))).toEqual(replaced);
      });

      it('getMany returns the rows that exist', async () => {
        await h.store.threads.upsertMany([thread(1), thread(2)]);
        const found = await h.store.threads.getMany([idOf(2), idOf(7), idOf(1).toUpperCase()]);
        expect(found.map((t) => t.id).sort()).toEqual([idOf(1), idOf(2)]);
        expect(await h.store.threads.getMany([])).toEqual([]);
      });

      it('upsertMany writes batches larger than one statement and later entries win', async () => {
        const batch = Array.from({ length: 1234 }, (_, i) => thread(i));
        batch.push(thread(5, { title: 'last write wins' }));
        await h.store.threads.upsertMany(batch);
        expect(await h.store.threads.count()).toBe(1234);
        expect((await h.store.threads.get(idOf(5)))?.title).toBe('last write wins');
        await h.store.threads.upsertMany([]);
      });

      it('rejects bad metadata without writing anything', async () => {
        await expect(
          h.store.threads.upsertMany([thread(1), { ...thread(2), id: 'not-a-uuid' }]),
        ).rejects.toMatchObject({ code: ErrorCode.InvalidArgument });
        await expect(h.store.threads.upsert({ ...thread(3), createdAt: 1.5 })).rejects.toThrowError(
          /createdAt/,
        );
        expect(await h.store.threads.count()).toBe(0);
      });

      it('finds the rollout path, optionally only among archived or active threads', async () => {
        await h.store.threads.upsertMany([thread(1), thread(2, { archivedAt: 1_700_000_100 })]);
        expect(await h.store.threads.findRolloutPath(idOf(1))).toBe(thread(1).rolloutPath);
        expect(await h.store.threads.findRolloutPath(idOf(1), { archived: false })).toBe(
          thread(1).rolloutPath,
        );
        expect(await h.store.threads.findRolloutPath(idOf(1), { archived: true })).toBeUndefined();
        expect(await h.store.threads.findRolloutPath(idOf(2), { archived: true })).toBe(
          thread(2).rolloutPath,
        );
        expect(await h.store.threads.findRolloutPath(idOf(2), { archived: false })).toBeUndefined();
        expect(await h.store.threads.findRolloutPath(idOf(3))).toBeUndefined();
      });

      it('archives and unarchives with the new path, and reports missing rows', async () => {
        await h.store.threads.upsert(thread(1));
        expect(
          await h.store.threads.markArchived(idOf(1), {
            rolloutPath: '/home/user/.codex/archived_sessions/r1.jsonl',
            archivedAt: 1_700_000_500,
            updatedAt: 1_700_000_400.7,
          }),
        ).toBe(true);
        expect(await h.store.threads.get(idOf(1))).toMatchObject({
          rolloutPath: '/home/user/.codex/archived_sessions/r1.jsonl',
          archivedAt: 1_700_000_500,
          updatedAt: 1_700_000_400,
        });
        expect(await h.store.threads.count({ archived: true })).toBe(1);

        expect(await h.store.threads.markUnarchived(idOf(1), { rolloutPath: '/back.jsonl' })).toBe(
          true,
        );
        expect(await h.store.threads.get(idOf(1))).toMatchObject({
          rolloutPath: '/back.jsonl',
          archivedAt: null,
          updatedAt: 1_700_000_400,
        });
        expect(await h.store.threads.count({ archived: false })).toBe(1);
        expect(
          await h.store.threads.markArchived(idOf(2), { rolloutPath: '/x', archivedAt: 1 }),
        ).toBe(false);
      });

      it('renames a rollout only from the path the row still holds', async () => {
        await h.store.threads.upsert(thread(1));
        const before = (await h.store.threads.get(idOf(1)))!;
        const to = `${before.rolloutPath}.zst`;
        expect(await h.store.threads.renameRollout(idOf(1), { from: '/elsewhere.jsonl', to })).toBe(
          false,
        );
        expect(await h.store.threads.renameRollout(idOf(1), { from: before.rolloutPath, to })).toBe(
          true,
        );
        expect(await h.store.threads.get(idOf(1))).toEqual({ ...before, rolloutPath: to });
        expect(await h.store.threads.renameRollout(idOf(2), { from: 'a', to: 'b' })).toBe(false);
      });

      it('delete removes the row and its dynamic tools', async () => {
        await h.store.threads.upsertMany([thread(1), thread(2)]);
        await h.store.dynamicTools.persist(idOf(1), [
          { name: 'a', description: 'b', inputSchema: {} },
        ]);
        await h.store.dynamicTools.persist(idOf(2), [
          { name: 'a', description: 'b', inputSchema: {} },
        ]);
        expect(await h.store.threads.delete(idOf(1))).toBe(true);
        expect(await h.store.threads.delete(idOf(1))).toBe(false);
        expect(await h.store.threads.get(idOf(1))).toBeUndefined();
        expect(await h.store.dynamicTools.get(idOf(1))).toBeNull();
        expect(await h.store.dynamicTools.get(idOf(2))).toHaveLength(1);
      });
    });

    describe('listing', () => {
      it('pages through ties in the sort column without losing or repeating a thread', async () => {
        // 157 threads over only 4 distinct creation seconds: most pages start and end inside a tie.
        const threads = Array.from({ length: 157 }, (_, n) =>
          thread(n, { createdAt: 1_700_000_000 + (n % 4), updatedAt: 1_800_000_000 - (n % 3) }),
        );
        await h.store.threads.upsertMany(threads);

        for (const sortKey of ['created', 'updated'] as const) {
          const column = sortKey === 'created' ? 'createdAt' : 'updatedAt';
          const expected = [...threads]
            .sort((a, b) => b[column] - a[column] || (a.id < b.id ? 1 : -1))
            .map((t) => t.id);
          for (const pageSize of [1, 7, 25, 156, 157, 500]) {
            expect(await allPages({ pageSize, sortKey })).toEqual(expected);
          }
        }
      });

      it('reports the anchor of the last item and the rows scanned', async () => {
        await h.store.threads.upsertMany([thread(1), thread(2), thread(3)]);
        const first = await h.store.threads.list({ pageSize: 2 });
        expect(first.items.map((t) => t.id)).toEqual([idOf(3), idOf(2)]);
        expect(first.nextAnchor).toEqual({ ts: 1_700_000_002, id: idOf(2) });
        expect(first.numScannedRows).toBe(3);
        const last = await h.store.threads.list({ pageSize: 2, anchor: first.nextAnchor });
        expect(last).toMatchObject({ nextAnchor: null, numScannedRows: 1 });
        expect(last.items.map((t) => t.id)).toEqual([idOf(1)]);
        const exact = await h.store.threads.list({ pageSize: 3 });
        expect(exact.nextAnchor).toBeNull();
      });

      it('never lists threads without a first user message', async () => {
        await h.store.threads.upsertMany([
          thread(1),
          thread(2, { firstUserMessage: null, title: 'title but no message' }),
          thread(3, { firstUserMessage: '[Image]', title: '' }),
        ]);
        expect(await allPages({ pageSize: 10 })).toEqual([idOf(3), idOf(1)]);
        expect(await h.store.threads.count()).toBe(3);
      });

      it('filters by archived, sources, model providers and cwd, alone and combined', async () => {
        await h.store.threads.upsertMany([
          thread(1, { source: 'cli', modelProvider: 'openai', cwd: '/a' }),
          thread(2, { source: 'vscode', modelProvider: 'openai', cwd: '/b' }),
          thread(3, { source: 'exec', modelProvider: 'mock', cwd: '/a' }),
          thread(4, { source: 'cli', modelProvider: 'mock', cwd: '/a', archivedAt: 5 }),
          thread(5, { source: '{"subagent":"review"}', modelProvider: 'openai', cwd: '/a/b' }),
        ]);
        const list = (options: Omit<ThreadsPageOptions, 'pageSize' | 'anchor'>) =>
          allPages({ pageSize: 2, ...options });

        expect(await list({})).toEqual([idOf(5), idOf(3), idOf(2), idOf(1)]);
        expect(await list({ archived: true })).toEqual([idOf(4)]);
        expect(await list({ sources: ['cli', 'vscode'] })).toEqual([idOf(2), idOf(1)]);
        expect(await list({ sources: ['subAgentReview'] })).toEqual([idOf(5)]);
        expect(await list({ modelProviders: ['mock'] })).toEqual([idOf(3)]);
        expect(await list({ cwds: ['/a'] })).toEqual([idOf(3), idOf(1)]);
        expect(await list({ cwds: ['/a', '/b'], sources: ['cli', 'vscode'] })).toEqual([
          idOf(2),
          idOf(1),
        ]);
        expect(await list({ cwds: ['/a'], modelProviders: ['mock'], archived: true })).toEqual([
          idOf(4),
        ]);
        expect(await list({ sources: [], modelProviders: [], cwds: [] })).toHaveLength(4);
        expect(await list({ sources: ['mcp'] })).toEqual([]);
      });

      it('filters by Codex source kinds, sub-agent families included', async () => {
        const spawn = (parent: number, nickname: string) =>
          `{"subagent":{"thread_spawn":{"parent_thread_id":"${idOf(parent)}","depth":1,"agent_path":null,"agent_nickname":"${nickname}","agent_role":null}}}`;
        const sources = [
          'cli',
          'vscode',
          'exec',
          'mcp',
          '{"subagent":"review"}',
          '{"subagent":"compact"}',
          spawn(2, 'Peirce'),
          '{"subagent":{"other":"guardian"}}',
          '{"subagent":"memory_consolidation"}',
          'unknown',
          'something-new',
          '{"custom":"atlas"}',
          '{"internal":"memory_consolidation"}',
        ];
        await h.store.threads.upsertMany(sources.map((source, n) => thread(n + 1, { source })));
        const list = async (kinds: string[]) =>
          (await allPages({ pageSize: 3, sources: kinds }))
            .map((id) => sources[parseInt(id.slice(-12), 16) - 1])
            .reverse();

        expect(await list(['cli'])).toEqual(['cli']);
        expect(await list(['appServer'])).toEqual(['mcp']);
        expect(await list(['app-server', 'Exec'])).toEqual(['exec', 'mcp']);
        expect(await list(['subagent'])).toEqual(sources.slice(4, 9));
        expect(await list(['subAgent'])).toEqual(sources.slice(4, 9));
        expect(await list(['subAgentReview'])).toEqual(['{"subagent":"review"}']);
        expect(await list(['sub-agent-compact'])).toEqual(['{"subagent":"compact"}']);
        expect(await list(['subAgentThreadSpawn'])).toEqual([spawn(2, 'Peirce')]);
        expect(await list(['subAgentOther'])).toEqual(['{"subagent":{"other":"guardian"}}']);
        // Codex's Unknown: what it does not recognise; its custom and internal sources are of no kind.
        expect(await list(['unknown'])).toEqual(['unknown', 'something-new']);
        expect(await list(['vscode', 'subAgentThreadSpawn'])).toEqual([
          'vscode',
          spawn(2, 'Peirce'),
        ]);
        await expect(
          h.store.threads.list({ pageSize: 1, sources: ['nope'] }),
        ).rejects.toMatchObject({
          code: ErrorCode.InvalidArgument,
          argument: 'sources',
        });
      });

      it('lists the sub-agents a thread spawned, oldest first, archived or not', async () => {
        const parent = thread(1, { source: 'vscode' });
        const child = (n: number, overrides: Partial<ThreadMetadata> = {}) =>
          thread(n, {
            source: `{"subagent":{"thread_spawn":{"parent_thread_id":"${idOf(1)}","depth":1}}}`,
            threadSource: 'subagent',
            agentNickname: `agent ${n}`,
            parentThreadId: idOf(1),
            ...overrides,
          });
        await h.store.threads.upsertMany([
          parent,
          child(3),
          child(2, { archivedAt: 9, agentRole: 'explorer' }),
          child(4, { firstUserMessage: null, title: '' }),
          thread(5, { parentThreadId: idOf(2) }),
        ]);
        const subAgents = await h.store.threads.listSubAgents(idOf(1).toUpperCase());
        expect(subAgents.map((t) => [t.id, t.agentNickname, t.agentRole])).toEqual([
          [idOf(2), 'agent 2', 'explorer'],
          [idOf(3), 'agent 3', null],
          [idOf(4), 'agent 4', null],
        ]);
        expect(await h.store.threads.listSubAgents(idOf(1), { limit: 1 })).toHaveLength(1);
        expect(await h.store.threads.listSubAgents(idOf(5))).toEqual([]);
        await expect(h.store.threads.listSubAgents('nope')).rejects.toMatchObject({
          argument: 'parentId',
        });
      });

      it('scan walks every row in id order, listable or not, archived or not', async () => {
        await h.store.threads.upsertMany([
          thread(3),
          thread(1, { firstUserMessage: null }),
          thread(2, { archivedAt: 9 }),
          thread(4),
        ]);
        const first = await h.store.threads.scan({ limit: 3 });
        expect(first.map((t) => t.id)).toEqual([idOf(1), idOf(2), idOf(3)]);
        const rest = await h.store.threads.scan({ limit: 3, afterId: first.at(-1)!.id });
        expect(rest.map((t) => t.id)).toEqual([idOf(4)]);
        expect(await h.store.threads.scan({ limit: 3, afterId: idOf(4) })).toEqual([]);
      });

      it('listIds follows the same filters and order as list', async () => {
        await h.store.threads.upsertMany(
          Array.from({ length: 20 }, (_, n) => thread(n, { source: n % 2 ? 'cli' : 'exec' })),
        );
        const ids = await h.store.threads.listIds({
          limit: 5,
          sortKey: 'updated',
          sources: ['cli'],
        });
        const page = await h.store.threads.list({
          pageSize: 5,
          sortKey: 'updated',
          sources: ['cli'],
        });
        expect(ids).toEqual(page.items.map((t) => t.id));
        expect(ids).toEqual([idOf(19), idOf(17), idOf(15), idOf(13), idOf(11)]);
      });

      it('rejects bad page sizes, sort keys and anchors with the argument named', async () => {
        for (const pageSize of [0, -1, 1.5, 10_001, Number.NaN]) {
          await expect(h.store.threads.list({ pageSize })).rejects.toMatchObject({
            code: ErrorCode.InvalidArgument,
            argument: 'pageSize',
          });
        }
        await expect(
          h.store.threads.list({ pageSize: 1, sortKey: 'name' as 'created' }),
        ).rejects.toMatchObject({ argument: 'sortKey' });
        await expect(
          h.store.threads.list({ pageSize: 1, anchor: { ts: 1, id: "x' OR 1=1 --" } }),
        ).rejects.toMatchObject({ argument: 'anchor' });
        await expect(
          h.store.threads.list({ pageSize: 1, anchor: { ts: 1.5, id: idOf(1) } }),
        ).rejects.toMatchObject({ argument: 'anchor' });
      });
    });
  });
}
