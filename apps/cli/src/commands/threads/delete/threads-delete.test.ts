import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { captureIo } from '../../../capture-io.js';
import { backfilledHome, runCli, runCliJson } from '../../../cli-harness.js';
import { ExitCode } from '../../../exit-codes.js';
import type { SearchReport } from '../../search/search.js';
import type { ThreadDeleteReport } from './threads-delete.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

/** The lived-in home's compressed thread that runs `echo hi`. */
const ECHO = '01a1fca2-4d0c-7883-b67e-ad58b7675481';
const ECHO_ROLLOUT = join(
  'sessions',
  '2026',
  '11',
  '21',
  'rollout-2026-11-21T05-44-17-01a1fca2-4d0c-7883-b67e-ad58b7675481.jsonl.zst',
);

/** Captured streams on a terminal, with `answer` typed on stdin. */
function terminal(answer: string) {
  return {
    ...captureIo({ tty: true, env: { NO_COLOR: '1' } }),
    stdin: Object.assign(Readable.from([answer]), { isTTY: true }),
  };
}

describe('agent-state threads delete', () => {
  it('moves the rollout to the trash and takes the thread out of listing, search and usage', async () => {
    const home = await backfilledHome(temp, 'v0.169.0-compressed');
    const searched = async () =>
      (await runCliJson<SearchReport>(['--home', home, 'search', 'echo', '--json'])).json.hits.map(
        (hit) => hit.thread.id,
      );
    expect(await searched()).toContain(ECHO);

    const { exitCode, json } = await runCliJson<ThreadDeleteReport>([
      '--home',
      home,
      'threads',
      'delete',
      ECHO,
      '--yes',
      '--json',
    ]);
    expect(exitCode).toBe(ExitCode.Ok);
    expect(json).toMatchObject({
      id: ECHO,
      deleted: true,
      purged: false,
      storeRowDeleted: true,
      files: [{ path: join(home, ECHO_ROLLOUT), bytes: expect.any(Number) as unknown }],
    });
    expect(existsSync(join(home, ECHO_ROLLOUT))).toBe(false);
    expect(existsSync(join(json.trash!, ECHO_ROLLOUT))).toBe(true);

    expect((await runCli(['--home', home, 'threads', 'show', ECHO])).exitCode).toBe(
      ExitCode.NotFound,
    );
    expect(await searched()).not.toContain(ECHO);
    const listed = await runCli(['--home', home, 'threads', 'list', '--json']);
    expect(listed.stdout).not.toContain(ECHO);
    const explained = await runCli(['--home', home, 'usage', '--explain', ECHO]);
    expect(explained.exitCode).toBe(ExitCode.NotFound);
  });

  it('asks on a terminal: no keeps the thread, yes deletes it', async () => {
    const home = await backfilledHome(temp, 'v0.169.0-compressed');
    const declined = terminal('n\n');
    const kept = await runCli(['--home', home, 'threads', 'delete', ECHO], declined);
    expect(kept.exitCode).toBe(ExitCode.Ok);
    expect(kept.stderr).toMatch(new RegExp(`Delete thread ${ECHO} "[^"]+"\\?`));
    expect(kept.stderr).toContain('will move to');
    expect(kept.stderr).toContain('[y/N]');
    expect(kept.stdout).toBe(`kept ${ECHO}: nothing was deleted\n`);
    expect(existsSync(join(home, ECHO_ROLLOUT))).toBe(true);

    const accepted = await runCli(['--home', home, 'threads', 'delete', ECHO], terminal('yes\n'));
    expect(accepted.exitCode).toBe(ExitCode.Ok);
    expect(accepted.stdout).toMatch(new RegExp(`^deleted ${ECHO} `));
    expect(accepted.stdout).toContain('1 rollout moved to');
    expect(existsSync(join(home, ECHO_ROLLOUT))).toBe(false);
  });

  it('without a terminal, deletes only with --yes; --purge leaves no trash', async () => {
    const home = await backfilledHome(temp, 'v0.169.0-compressed');
    const refused = await runCli(['--home', home, 'threads', 'delete', ECHO], {
      ...captureIo(),
      stdin: undefined,
    });
    expect(refused.exitCode).toBe(ExitCode.Usage);
    expect(refused.stderr).toContain('--yes');
    expect(existsSync(join(home, ECHO_ROLLOUT))).toBe(true);

    const purged = await runCliJson<ThreadDeleteReport>([
      '--home',
      home,
      'threads',
      'delete',
      ECHO,
      '--purge',
      '--yes',
      '--json',
    ]);
    expect(purged.json).toMatchObject({ deleted: true, purged: true, trash: null });
    expect(existsSync(join(home, ECHO_ROLLOUT))).toBe(false);
    expect(readdirSync(join(home, 'agent_state_trash'))).toEqual([]);
  });

  it('exits 3 naming an unknown id, 2 for one that is not a UUID', async () => {
    const home = await backfilledHome(temp, 'v0.169.0');
    const unknown = '01a1fca2-290e-7023-a2aa-000000000000';
    const missing = await runCli(['--home', home, 'threads', 'delete', unknown, '--yes']);
    expect(missing.exitCode).toBe(ExitCode.NotFound);
    expect(missing.stderr).toContain(unknown);
    const bad = await runCli(['--home', home, 'threads', 'delete', 'nope', '--yes']);
    expect(bad.exitCode).toBe(ExitCode.Usage);
  });
});
