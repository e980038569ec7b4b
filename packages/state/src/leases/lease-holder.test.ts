import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

import { afterEach, describe, expect, it } from 'vitest';

import {
  currentLeaseHolder,
  isHolderDeadOnThisHost,
  systemLeaseHolderProbe,
  timeBasedLeaseHolderProbe,
} from './lease-holder.js';
import { processStartTime } from './process-start-time.js';

const children: Array<ReturnType<typeof spawn>> = [];
afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

/** A live child process (it sleeps until killed, its title set) and its pid. */
async function liveChild(title?: string): Promise<number> {
  const setTitle = title === undefined ? '' : `process.title = ${JSON.stringify(title)};`;
  const script = `${setTitle} process.stdout.write('ready'); setInterval(() => {}, 1000)`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`child exited (${String(code)})`)));
  });
  if (child.pid === undefined) throw new Error('no pid');
  return child.pid;
}

/** The pid of a child process that has exited (and been reaped). */
function exitedChildPid(): number {
  const result = spawnSync(process.execPath, ['-e', ''], { stdio: 'ignore' });
  if (result.pid === undefined || result.status !== 0) throw new Error('child did not run');
  return result.pid;
}

describe('currentLeaseHolder', () => {
  it('is this process: host name, pid and a stable start time', () => {
    const me = currentLeaseHolder();
    expect(me).toEqual({
      host: hostname(),
      pid: process.pid,
      startedAt: expect.any(String) as unknown,
    });
    expect(processStartTime(process.pid)).toBe(me.startedAt);
    expect(currentLeaseHolder()).toBe(me);
  });
});

describe('isHolderDeadOnThisHost', () => {
  it('this process is alive', () => {
    expect(isHolderDeadOnThisHost(currentLeaseHolder())).toBe(false);
    expect(isHolderDeadOnThisHost({ ...currentLeaseHolder(), startedAt: null })).toBe(false);
  });

  it('a live process with the recorded start time is alive', async () => {
    const pid = await liveChild();
    const startedAt = processStartTime(pid) ?? null;
    expect(startedAt).not.toBeNull();
    expect(isHolderDeadOnThisHost({ host: hostname(), pid, startedAt })).toBe(false);
  });

  it('a process that exited is dead, with or without a recorded start time', () => {
    const pid = exitedChildPid();
    expect(processStartTime(pid)).toBeUndefined();
    expect(isHolderDeadOnThisHost({ host: hostname(), pid, startedAt: null })).toBe(true);
    expect(isHolderDeadOnThisHost({ host: hostname(), pid, startedAt: 'linux:boot:1' })).toBe(true);
  });

  it('a pid now held by a process that started at another time is dead (pid reuse)', async () => {
    const pid = await liveChild();
    const startedAt = processStartTime(pid) ?? 'unknown';
    const holder = { host: hostname(), pid, startedAt: `${startedAt}-earlier` };
    expect(isHolderDeadOnThisHost(holder)).toBe(true);
    // Our own pid, recorded by an earlier process that had it.
    expect(isHolderDeadOnThisHost({ ...currentLeaseHolder(), startedAt: 'linux:old-boot:7' })).toBe(
      true,
    );
  });

  it('a holder on another host is never declared dead: its lease runs out by time', () => {
    const pid = exitedChildPid();
    expect(isHolderDeadOnThisHost({ host: `${hostname()}.elsewhere`, pid, startedAt: null })).toBe(
      false,
    );
  });

  it('a process we may not signal is alive; a nonsense pid is not declared dead', () => {
    // pid 1 (init) exists on every Unix system; as non-root, signalling it fails with EPERM.
    expect(
      isHolderDeadOnThisHost({ host: hostname(), pid: 1, startedAt: processStartTime(1) ?? null }),
    ).toBe(false);
    for (const pid of [0, -1, 1.5, Number.NaN]) {
      expect(isHolderDeadOnThisHost({ host: hostname(), pid, startedAt: null })).toBe(false);
    }
  });
});

describe('probes', () => {
  it('the system probe records this process and detects the dead; the time-based one never does', () => {
    const pid = exitedChildPid();
    const dead = { host: hostname(), pid, startedAt: null };
    expect(systemLeaseHolderProbe.current()).toBe(currentLeaseHolder());
    expect(systemLeaseHolderProbe.isDeadOnThisHost(dead)).toBe(true);
    expect(timeBasedLeaseHolderProbe.current()).toBe(currentLeaseHolder());
    expect(timeBasedLeaseHolderProbe.isDeadOnThisHost(dead)).toBe(false);
  });
});

describe('processStartTime', () => {
  it('is undefined for no process, null for a pid that cannot be one', () => {
    expect(processStartTime(exitedChildPid())).toBeUndefined();
    expect(processStartTime(0)).toBeNull();
    expect(processStartTime(-5)).toBeNull();
  });

  it.runIf(process.platform === 'linux')(
    'on Linux: boot id and start ticks, parsed past a command name with spaces and parentheses',
    async () => {
      const pid = await liveChild(') x (y) 1 2 3');
      expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toContain(') x (y) 1 2');
      const startedAt = processStartTime(pid);
      expect(startedAt).toMatch(/^linux:[0-9a-f-]+:\d+$/);
      const ticks = Number(startedAt?.split(':').at(-1));
      // Started after this process did.
      expect(ticks).toBeGreaterThanOrEqual(
        Number(currentLeaseHolder().startedAt?.split(':').at(-1)),
      );
    },
  );
});
