import { ErrorCode } from '@agent-state/state';
import { describe, expect, it } from 'vitest';

import { describeServer, parseStoreUrl, redactUrl } from './store-server.js';

describe('parseStoreUrl', () => {
  it('names the server without its password, and passes sslmode through', () => {
    const server = parseStoreUrl(
      'postgresql://me:s3cret@db.lan:6543/agent_state?sslmode=require',
      '--store',
    );
    expect(server.display).toBe('postgres://me@db.lan:6543/agent_state');
    expect(server.config).toMatchObject({
      host: 'db.lan',
      port: 6543,
      user: 'me',
      password: 's3cret',
      database: 'agent_state',
    });
    expect(server.config.ssl).toBeTruthy();
    expect(JSON.stringify(server.display)).not.toContain('s3cret');
  });

  it('looks the password up in a pgpass file when the URL gives none', () => {
    const { config } = parseStoreUrl('postgres://me@db.lan/agent_state');
    // Unless PGPASSWORD is set for the whole process, libpq's order: URL, PGPASSWORD, pgpass.
    if (process.env.PGPASSWORD === undefined) expect(typeof config.password).toBe('function');
  });

  it('refuses what is not a postgres:// URL, naming the flag and never the password', () => {
    const refuse = (url: string) => {
      try {
        parseStoreUrl(url, '--to');
      } catch (error) {
        return error as Error & { code: string };
      }
      throw new Error(`accepted ${url}`);
    };
    const notPostgres = refuse('mysql://me:s3cret@db/x');
    expect(notPostgres.code).toBe(ErrorCode.InvalidArgument);
    expect(notPostgres.message).toBe(
      'invalid --to: must be a postgres:// URL (got "mysql://me@db/x")',
    );
    const broken = refuse('postgres://me:s3cret@db:notaport/x');
    expect(broken.code).toBe(ErrorCode.InvalidArgument);
    expect(broken.message).not.toContain('s3cret');
    expect(broken.cause).toBeUndefined();
  });

  it('redacts passwords in URLs and their parameters', () => {
    expect(redactUrl('postgres://me:secret@db/x')).toBe('postgres://me@db/x');
    // An `@` in the user or the password, as `pg` reads them (up to the last `@`).
    expect(redactUrl('postgres://admin@srv:s3cret@srv.example.com/db')).toBe(
      'postgres://admin@srv@srv.example.com/db',
    );
    expect(redactUrl('postgres://me:p@ss@db/x')).toBe('postgres://me@db/x');
    expect(redactUrl('postgres://me@db/x?sslmode=require')).toBe(
      'postgres://me@db/x?sslmode=require',
    );
    expect(redactUrl('postgres://db/x?user=me&password=secret')).toBe(
      'postgres://db/x?user=me&password=***',
    );
    expect(describeServer({ host: '/var/run/postgresql', user: 'me', database: 'x' })).toBe(
      'postgres://me@%2Fvar%2Frun%2Fpostgresql:5432/x',
    );
  });
});
