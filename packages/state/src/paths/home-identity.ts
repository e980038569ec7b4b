import { randomUUID } from 'node:crypto';
import {
  linkSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

import { StoreCorruptError, StoreIoError } from '../errors.js';

/**
 * File in a home that holds its id: `agent_state_home.json`, written once by agent-state, never
 * by Codex.
 *
 * @example
 * ```ts
 * join(home, HOME_IDENTITY_FILE); // '/home/me/.codex/agent_state_home.json'
 * ```
 */
export const HOME_IDENTITY_FILE = 'agent_state_home.json';

/**
 * Who a home is, for a store shared by many homes (a PostgreSQL server): a stable id created once
 * and kept in the home, and, for display, the machine and path it is on now.
 *
 * @example
 * ```ts
 * const { homeId, host, homePath } = readHomeIdentity(home);
 * console.log(`${host}:${homePath} is ${homeId}`);
 * ```
 */
export interface HomeIdentity {
  /** A random UUID, created the first time it is asked for and kept in {@link HOME_IDENTITY_FILE}. */
  homeId: string;
  /** `os.hostname()` now. */
  host: string;
  /** The home's real path now. */
  homePath: string;
}

interface HomeIdentityFile {
  homeId: string;
  createdAt: string;
}

/**
 * The identity of `home`: its id from {@link HOME_IDENTITY_FILE}, created when missing (several
 * processes creating it at once agree on one id: the file is linked into place, never replaced),
 * with this machine's host name and the home's real path. With `create: false` nothing is
 * written: a home without the file throws `StoreIoError` (it has never been pushed anywhere). A
 * file that is not ours throws `StoreCorruptError`.
 *
 * @example
 * ```ts
 * const identity = readHomeIdentity('/home/me/.codex');
 * identity.homeId; // '5b0f…' (the same on every call, on every machine the home is copied to)
 * ```
 */
export function readHomeIdentity(
  home: string,
  options: { create?: boolean | undefined } = {},
): HomeIdentity {
  const path = join(home, HOME_IDENTITY_FILE);
  let id = readIdFile(path);
  if (id === undefined) {
    if (options.create === false) {
      throw new StoreIoError(path, 'this home has no id yet (run `agent-state sync` once)');
    }
    id = createIdFile(home, path);
  }
  let homePath = home;
  try {
    homePath = realpathSync(home);
  } catch {
    // A home that vanished meanwhile keeps the path it was given.
  }
  return { homeId: id, host: hostname(), homePath };
}

function readIdFile(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StoreIoError(path, `cannot read the home's id: ${String(error)}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StoreCorruptError(path, 'not JSON', { cause: error });
  }
  const homeId = (parsed as Partial<HomeIdentityFile> | null)?.homeId;
  if (typeof homeId !== 'string' || !/^[0-9a-f-]{36}$/.test(homeId)) {
    throw new StoreCorruptError(path, 'no `homeId` (a UUID) in it');
  }
  return homeId;
}

function createIdFile(home: string, path: string): string {
  const file: HomeIdentityFile = { homeId: randomUUID(), createdAt: new Date().toISOString() };
  const temporary = `${path}.${process.pid}.${randomUUID()}.tmp`;
  try {
    mkdirSync(home, { recursive: true });
    writeFileSync(temporary, `${JSON.stringify(file, null, 2)}\n`, { flag: 'wx', mode: 0o644 });
    try {
      // link() fails when the name exists: the first process to get here wins, the others read
      // its id.
      linkSync(temporary, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  } catch (error) {
    throw new StoreIoError(path, `cannot write the home's id: ${String(error)}`, { cause: error });
  } finally {
    try {
      unlinkSync(temporary);
    } catch {
      // Never written.
    }
  }
  const id = readIdFile(path);
  if (id === undefined) throw new StoreIoError(path, "the home's id vanished as it was written");
  return id;
}
