// The flags that name the shared store on a PostgreSQL server: `--store <url>` (or
// `AGENT_STATE_STORE_URL`) for reading every home, `sync --to <url>` for pushing this one. Only
// types of the postgres package here: registrations import this, and must load nothing heavy.

import type { HomeSelection } from '@agent-state/postgres';
import { InvalidArgumentError } from '@agent-state/state';
import type { Command } from 'commander';

import type { CliIo } from './output.js';
import { collect } from './registration.js';

/** The variable that names the shared store when `--store` (or `sync --to`) is not given. */
export const STORE_URL_ENV = 'AGENT_STATE_STORE_URL';

/** A store URL and where it came from (for errors: `--store`, `--to`, `AGENT_STATE_STORE_URL`). */
export interface StoreUrl {
  url: string;
  source: string;
}

/** `flag`'s value if given, else `AGENT_STATE_STORE_URL` if set, else `undefined`. */
export function storeUrlOf(
  io: CliIo,
  flag: { name: string; value: string | undefined },
): StoreUrl | undefined {
  if (flag.value !== undefined && flag.value !== '') return { url: flag.value, source: flag.name };
  const fromEnv = io.env[STORE_URL_ENV];
  if (fromEnv !== undefined && fromEnv.trim() !== '')
    return { url: fromEnv, source: STORE_URL_ENV };
  return undefined;
}

/**
 * The store `sync` pushes to (or removes from): `--to`, else `AGENT_STATE_STORE_URL`; neither is a
 * bad argument.
 */
export function syncTarget(io: CliIo, to: string | undefined): StoreUrl {
  const target = storeUrlOf(io, { name: '--to', value: to });
  if (target === undefined) {
    throw new InvalidArgumentError(
      '--to',
      'say which shared store: --to postgres://user@host/database, or set AGENT_STATE_STORE_URL',
    );
  }
  return target;
}

/** The flags that point a reading command at the shared store, as commander parsed them. */
export interface SharedStoreFlags {
  store?: string;
  host?: string[];
  homeId?: string[];
}

/**
 * Adds `--store <url>`, `--host <name>` and `--home-id <id>` to a command that reads (`threads
 * list|show`, `search`, `usage`, `serve`): with them (or `AGENT_STATE_STORE_URL`), it answers over
 * every home pushed to the shared store, or those of these hosts and ids. `hostFlag` names the
 * host filter where `--host` means something else (`serve --host` is the address it listens on:
 * `serve --home-host`); commander gives its value under that flag's name (`homeHost`).
 */
export function addSharedStoreOptions(
  command: Command,
  options: { hostFlag?: `--${string}` } = {},
): Command {
  return command
    .option(
      '--store <url>',
      'answer from the shared PostgreSQL store, over every home pushed there (default: $AGENT_STATE_STORE_URL)',
    )
    .option(
      `${options.hostFlag ?? '--host'} <name>`,
      'with a shared store: only homes on this machine; repeatable',
      collect,
    )
    .option('--home-id <id>', 'with a shared store: only this home; repeatable', collect);
}

/** A shared store to read, and which of its homes; `undefined` to read this home's own store. */
export interface SharedStoreChoice {
  target: StoreUrl;
  selection: HomeSelection;
}

/**
 * The shared store the flags (or `AGENT_STATE_STORE_URL`) point at, or `undefined`. `--host` (or
 * the `hostFlag` it was added as) or `--home-id` without a store is a mistake, not a filter to
 * ignore.
 */
export function sharedStoreOf(
  io: CliIo,
  flags: SharedStoreFlags,
  options: { hostFlag?: `--${string}` } = {},
): SharedStoreChoice | undefined {
  const target = storeUrlOf(io, { name: '--store', value: flags.store });
  if (target === undefined) {
    const hostFlag = options.hostFlag ?? '--host';
    const flag = flags.host?.length ? hostFlag : flags.homeId?.length ? '--home-id' : undefined;
    if (flag !== undefined) {
      throw new InvalidArgumentError(
        flag,
        'filters the homes of a shared store: give --store <url> or set AGENT_STATE_STORE_URL',
      );
    }
    return undefined;
  }
  return { target, selection: { hosts: flags.host ?? [], homeIds: flags.homeId ?? [] } };
}
