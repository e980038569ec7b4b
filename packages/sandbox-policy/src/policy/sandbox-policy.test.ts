import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { CODEX_FIXTURE_VERSIONS, codexFixtureDir } from '@agent-state/test-utils';
import { describe, expect, it } from 'vitest';

import { InvalidSandboxPolicyError } from '../errors.js';
import {
  type SandboxPolicy,
  parseSandboxPolicy,
  readOnlyPolicy,
  toAppServerJson,
  toCoreJson,
  workspaceWritePolicy,
} from './sandbox-policy.js';

/** Every `turn_context.sandbox_policy` Codex wrote in the fixture rollouts, as raw JSON text. */
function fixturePolicies(): string[] {
  const found = new Set<string>();
  for (const version of CODEX_FIXTURE_VERSIONS) {
    const home = join(codexFixtureDir(version), 'home');
    for (const dir of [
      join(home, 'sessions', '2026', '11', '21'),
      join(home, 'archived_sessions'),
    ]) {
      for (const name of readdirSync(dir)) {
        for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
          if (!line.includes('"type":"turn_context"')) continue;
          const payload = (JSON.parse(line) as { payload: { sandbox_policy: unknown } }).payload;
          found.add(JSON.stringify(payload.sandbox_policy));
        }
      }
    }
  }
  return [...found].sort();
}

describe('sandbox policy wire forms', () => {
  it('round-trips every policy real Codex wrote, byte for byte', () => {
    const policies = fixturePolicies();
    expect(policies).toEqual([
      '{"type":"danger-full-access"}',
      '{"type":"read-only"}',
      '{"type":"workspace-write","network_access":false,"exclude_tmpdir_env_var":false,"exclude_slash_tmp":false}',
      '{"type":"workspace-write","writable_roots":["/home/user/projects/plain-c"],"network_access":true,"exclude_tmpdir_env_var":false,"exclude_slash_tmp":true}',
    ]);
    for (const text of policies)
      expect(JSON.stringify(toCoreJson(parseSandboxPolicy(text)))).toBe(text);
  });

  it('applies Codex’s defaults when reading and omits them when writing', () => {
    expect(parseSandboxPolicy({ type: 'read-only' })).toEqual(readOnlyPolicy());
    expect(parseSandboxPolicy({ type: 'workspace-write' })).toEqual(workspaceWritePolicy());
    expect(parseSandboxPolicy({ type: 'external-sandbox' })).toEqual({
      type: 'external-sandbox',
      networkAccess: 'restricted',
    });
    const restricted = parseSandboxPolicy({ type: 'read-only', access: { type: 'restricted' } });
    expect(restricted).toEqual({
      type: 'read-only',
      access: { type: 'restricted', includePlatformDefaults: true, readableRoots: [] },
    });
    expect(JSON.stringify(toCoreJson(restricted))).toBe(
      '{"type":"read-only","access":{"type":"restricted","include_platform_defaults":true}}',
    );
    const full = workspaceWritePolicy({
      writableRoots: ['/data'],
      readOnlyAccess: {
        type: 'restricted',
        includePlatformDefaults: false,
        readableRoots: ['/opt/x'],
      },
      networkAccess: true,
    });
    expect(JSON.stringify(toCoreJson(full))).toBe(
      '{"type":"workspace-write","writable_roots":["/data"],"read_only_access":{"type":"restricted","include_platform_defaults":false,"readable_roots":["/opt/x"]},"network_access":true,"exclude_tmpdir_env_var":false,"exclude_slash_tmp":false}',
    );
  });

  it('converts between the core and app-server forms both ways', () => {
    const policies: SandboxPolicy[] = [
      { type: 'danger-full-access' },
      readOnlyPolicy(),
      readOnlyPolicy({ type: 'restricted', includePlatformDefaults: true, readableRoots: ['/a'] }),
      { type: 'external-sandbox', networkAccess: 'enabled' },
      workspaceWritePolicy({ writableRoots: ['/w'], excludeSlashTmp: true }),
    ];
    for (const policy of policies) {
      const app = toAppServerJson(policy);
      expect(parseSandboxPolicy(app)).toEqual(policy);
      expect(parseSandboxPolicy(toCoreJson(policy))).toEqual(policy);
    }
    expect(toAppServerJson(workspaceWritePolicy())).toEqual({
      type: 'workspaceWrite',
      writableRoots: [],
      readOnlyAccess: { type: 'fullAccess' },
      networkAccess: false,
      excludeTmpdirEnvVar: false,
      excludeSlashTmp: false,
    });
    expect(parseSandboxPolicy({ type: 'readOnly' })).toEqual(readOnlyPolicy());
  });

  it('rejects bad policies with the field named', () => {
    const bad: Array<[unknown, string]> = [
      ['{', 'json'],
      [{ type: 'open-door' }, 'type'],
      [{ type: 'workspace-write', writable_roots: ['relative/path'] }, 'writable_roots.0'],
      [{ type: 'workspace-write', network_access: 'yes' }, 'network_access'],
      [{ type: 'read-only', surprise: true }, 'surprise'],
      [{ type: 'read-only', access: { type: 'full-access', deny: ['/'] } }, 'access.deny'],
      [
        { type: 'read-only', access: { type: 'restricted', readable_roots: [1] } },
        'access.readable_roots.0',
      ],
    ];
    for (const [input, where] of bad) {
      const error = (() => {
        try {
          parseSandboxPolicy(input);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(InvalidSandboxPolicyError);
      if (where) expect((error as InvalidSandboxPolicyError).where).toBe(where);
      expect((error as Error).message).toMatch(/^invalid sandbox policy: /);
    }
  });
});
