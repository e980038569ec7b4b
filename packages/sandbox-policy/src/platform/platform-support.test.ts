import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { tempDirs } from '@agent-state/test-utils';
import { afterEach, describe, expect, it } from 'vitest';

import { UnsupportedSandboxPolicyError } from '../errors.js';
import {
  type ReadOnlyAccess,
  type SandboxPolicy,
  readOnlyPolicy,
  workspaceWritePolicy,
} from '../policy/sandbox-policy.js';
import { checkSandboxSupport, currentPlatform, requiresSandbox } from './platform-support.js';

const temp = tempDirs();
afterEach(() => temp.cleanup());

const RESTRICTED: ReadOnlyAccess = {
  type: 'restricted',
  includePlatformDefaults: true,
  readableRoots: [],
};
const FULL_ACCESS: SandboxPolicy = { type: 'danger-full-access' };
const EXTERNAL: SandboxPolicy = { type: 'external-sandbox', networkAccess: 'restricted' };

/** A folder holding an executable named `name`. */
function binDir(name: string): string {
  const dir = temp.make('bin');
  writeFileSync(join(dir, name), '#!/bin/sh\n');
  chmodSync(join(dir, name), 0o755);
  return dir;
}

function thrown(run: () => void): UnsupportedSandboxPolicyError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UnsupportedSandboxPolicyError);
    return error as UnsupportedSandboxPolicyError;
  }
  throw new Error('expected an UnsupportedSandboxPolicyError');
}

describe('checkSandboxSupport on Windows', () => {
  it('refuses restricted read access, as Codex’s Windows backend does', () => {
    for (const policy of [
      readOnlyPolicy(RESTRICTED),
      workspaceWritePolicy({ readOnlyAccess: RESTRICTED }),
    ]) {
      const error = thrown(() => checkSandboxSupport({ policy, platform: 'windows' }));
      expect(error.backend).toBe('windows');
      expect(error.message).toBe(
        'windows sandbox cannot enforce this policy: Restricted read-only access is not yet supported by the Windows sandbox backend',
      );
    }
  });

  it('refuses danger-full-access and external-sandbox: they are not sandboxing', () => {
    for (const policy of [FULL_ACCESS, EXTERNAL]) {
      expect(thrown(() => checkSandboxSupport({ policy, platform: 'windows' })).message).toContain(
        'DangerFullAccess and ExternalSandbox are not supported for sandboxing',
      );
    }
  });

  it('accepts full read access', () => {
    expect(() =>
      checkSandboxSupport({ policy: readOnlyPolicy(), platform: 'windows' }),
    ).not.toThrow();
    expect(() =>
      checkSandboxSupport({ policy: workspaceWritePolicy(), platform: 'windows' }),
    ).not.toThrow();
  });
});

describe('checkSandboxSupport on Linux', () => {
  it('needs bubblewrap and names it when it is missing', () => {
    const env = { PATH: temp.make('empty') };
    for (const policy of [readOnlyPolicy(), workspaceWritePolicy(), EXTERNAL]) {
      const error = thrown(() => checkSandboxSupport({ policy, platform: 'linux', env }));
      expect(error.backend).toBe('bwrap');
      expect(error.message).toContain('bubblewrap (bwrap) is not installed');
    }
    const missing = join(temp.make('empty'), 'bwrap');
    expect(
      thrown(() =>
        checkSandboxSupport({ policy: readOnlyPolicy(), platform: 'linux', executable: missing }),
      ).message,
    ).toContain(`bubblewrap executable ${missing} does not exist`);
  });

  it('enforces every policy, restricted read included, once bwrap is there', () => {
    const env = { PATH: binDir('bwrap') };
    for (const policy of [
      readOnlyPolicy(),
      readOnlyPolicy(RESTRICTED),
      workspaceWritePolicy({ readOnlyAccess: RESTRICTED, networkAccess: true }),
      EXTERNAL,
    ]) {
      expect(() => checkSandboxSupport({ policy, platform: 'linux', env })).not.toThrow();
    }
  });

  it('needs nothing for policies that run commands as they are', () => {
    const env = { PATH: temp.make('empty') };
    for (const policy of [
      FULL_ACCESS,
      { type: 'external-sandbox', networkAccess: 'enabled' } as const,
    ]) {
      expect(() => checkSandboxSupport({ policy, platform: 'linux', env })).not.toThrow();
    }
  });
});

describe('checkSandboxSupport on macOS', () => {
  it('needs sandbox-exec', () => {
    const missing = join(temp.make('empty'), 'sandbox-exec');
    const error = thrown(() =>
      checkSandboxSupport({
        policy: readOnlyPolicy(RESTRICTED),
        platform: 'macos',
        executable: missing,
      }),
    );
    expect(error.backend).toBe('seatbelt');
    expect(error.message).toContain(`${missing} does not exist`);
    const present = join(binDir('sandbox-exec'), 'sandbox-exec');
    expect(() =>
      checkSandboxSupport({
        policy: readOnlyPolicy(RESTRICTED),
        platform: 'macos',
        executable: present,
      }),
    ).not.toThrow();
    expect(() =>
      checkSandboxSupport({ policy: FULL_ACCESS, platform: 'macos', executable: missing }),
    ).not.toThrow();
  });
});

describe('checkSandboxSupport with a backend of another platform', () => {
  it('refuses it', () => {
    const error = thrown(() =>
      checkSandboxSupport({ policy: readOnlyPolicy(), platform: 'macos', backend: 'bwrap' }),
    );
    expect(error.message).toBe(
      'bwrap sandbox cannot enforce this policy: the bwrap backend runs on linux, not on macos',
    );
  });
});

describe('requiresSandbox', () => {
  it('is false only for full write with full network', () => {
    expect(requiresSandbox(FULL_ACCESS)).toBe(false);
    expect(requiresSandbox({ type: 'external-sandbox', networkAccess: 'enabled' })).toBe(false);
    expect(requiresSandbox(EXTERNAL)).toBe(true);
    expect(requiresSandbox(readOnlyPolicy())).toBe(true);
    expect(requiresSandbox(workspaceWritePolicy({ networkAccess: true }))).toBe(true);
  });
});

describe('currentPlatform', () => {
  it('maps Node’s platform names', () => {
    expect(currentPlatform('linux')).toBe('linux');
    expect(currentPlatform('darwin')).toBe('macos');
    expect(currentPlatform('win32')).toBe('windows');
    expect(currentPlatform('freebsd')).toBeUndefined();
    expect(currentPlatform()).toBe(currentPlatform(process.platform));
  });
});
