import { describe, expect, it } from 'vitest';

import { InvalidSandboxPolicyError, SandboxErrorCode } from '../errors.js';
import { readOnlyPolicy, workspaceWritePolicy } from '../policy/sandbox-policy.js';
import { hasFullDiskReadAccess } from '../policy/policy-roots.js';
import { CODEX_SANDBOX_MODES, parseCodexSandboxConfig } from './codex-sandbox-config.js';
import { findTomlKeyLine } from './toml-key-location.js';

/** A Codex `config.toml` as people write them: mostly keys that have nothing to do with the sandbox. */
const CODEX_CONFIG = `# ~/.codex/config.toml
model = "gpt-5-codex"
model_reasoning_effort = "high"
approval_policy = "on-request"
sandbox_mode = "workspace-write"
notify = ["notify-send", "Codex"]

[features]
sqlite = true

[sandbox_workspace_write]
writable_roots = ["/Users/me/.cache/pip", "/opt/data"]
network_access = true

[projects."/Users/me/src/app"]
trust_level = "trusted"

[projects."/Users/me/src/untrusted"]
trust_level = "untrusted"

[mcp_servers.docs]
command = "npx"
args = ["-y", "docs-mcp"]
env = { "DOCS_TOKEN" = "x" }

[profiles.ci]
model = "o3"
sandbox_mode = "read-only"

[profiles.yolo]
sandbox_mode = "danger-full-access"

[profiles.fast]
model = "gpt-5-codex-mini"
`;

/** The error `fn` throws, checked to be an {@link InvalidSandboxPolicyError}. */
function invalid(fn: () => unknown): InvalidSandboxPolicyError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidSandboxPolicyError);
    return error as InvalidSandboxPolicyError;
  }
  throw new Error('expected an InvalidSandboxPolicyError, nothing was thrown');
}

describe('parseCodexSandboxConfig: modes and policies', () => {
  it('defaults to read-only with full read access (an empty file, or no sandbox keys)', () => {
    for (const text of ['', '# nothing\n', 'model = "o3"\n[features]\nsqlite = true\n']) {
      expect(parseCodexSandboxConfig(text)).toEqual({
        mode: 'read-only',
        policy: readOnlyPolicy(),
        source: 'default',
      });
    }
  });

  it('reads a Codex-style file, ignoring model, features, projects, MCP servers and profiles it does not use', () => {
    expect(parseCodexSandboxConfig(CODEX_CONFIG)).toEqual({
      mode: 'workspace-write',
      policy: workspaceWritePolicy({
        writableRoots: ['/Users/me/.cache/pip', '/opt/data'],
        networkAccess: true,
      }),
      source: 'top-level',
    });
  });

  it('lets the active profile win over the top-level sandbox_mode', () => {
    expect(parseCodexSandboxConfig(CODEX_CONFIG, { profile: 'ci' })).toEqual({
      mode: 'read-only',
      policy: readOnlyPolicy(),
      source: 'profile',
    });
    expect(parseCodexSandboxConfig(CODEX_CONFIG, { profile: 'yolo' })).toEqual({
      mode: 'danger-full-access',
      policy: { type: 'danger-full-access' },
      source: 'profile',
    });
  });

  it('falls back to the top-level sandbox_mode when the profile has none', () => {
    const config = parseCodexSandboxConfig(CODEX_CONFIG, { profile: 'fast' });
    expect(config.mode).toBe('workspace-write');
    expect(config.source).toBe('top-level');
  });

  it('uses the top-level `profile` key as the active profile, unless options.profile is given', () => {
    const text = `profile = "ci"\n${CODEX_CONFIG}`;
    expect(parseCodexSandboxConfig(text)).toMatchObject({ mode: 'read-only', source: 'profile' });
    expect(parseCodexSandboxConfig(text, { profile: 'yolo' }).mode).toBe('danger-full-access');
  });

  it('uses a profile mode even without a top-level one', () => {
    const text = '[profiles.work]\nsandbox_mode = "workspace-write"\n';
    expect(parseCodexSandboxConfig(text, { profile: 'work' })).toEqual({
      mode: 'workspace-write',
      policy: workspaceWritePolicy(),
      source: 'profile',
    });
    expect(parseCodexSandboxConfig(text).source).toBe('default');
  });

  it('workspace-write without [sandbox_workspace_write] has the defaults', () => {
    expect(parseCodexSandboxConfig('sandbox_mode = "workspace-write"').policy).toEqual(
      workspaceWritePolicy(),
    );
  });

  it('reads every [sandbox_workspace_write] setting, in table, dotted and inline form', () => {
    const expected = workspaceWritePolicy({
      writableRoots: ['/data'],
      networkAccess: true,
      excludeTmpdirEnvVar: true,
      excludeSlashTmp: true,
    });
    const texts = [
      `sandbox_mode = "workspace-write"
[sandbox_workspace_write]
writable_roots = [
  "/data", # multi-line array
]
network_access = true
exclude_tmpdir_env_var = true
exclude_slash_tmp = true
`,
      `sandbox_mode = "workspace-write"
sandbox_workspace_write.writable_roots = ["/data"]
sandbox_workspace_write.network_access = true
sandbox_workspace_write.exclude_tmpdir_env_var = true
sandbox_workspace_write.exclude_slash_tmp = true
`,
      `sandbox_mode = "workspace-write"
sandbox_workspace_write = { writable_roots = ["/data"], network_access = true, exclude_tmpdir_env_var = true, exclude_slash_tmp = true }
`,
    ];
    for (const text of texts) expect(parseCodexSandboxConfig(text).policy).toEqual(expected);
    // CRLF files (Windows editors) read the same.
    expect(parseCodexSandboxConfig(texts[0]!.replace(/\n/g, '\r\n')).policy).toEqual(expected);
  });

  it('applies [sandbox_workspace_write] only in workspace-write mode', () => {
    const table = '\n[sandbox_workspace_write]\nnetwork_access = true\nwritable_roots = ["/x"]\n';
    expect(parseCodexSandboxConfig(`sandbox_mode = "read-only"${table}`).policy).toEqual(
      readOnlyPolicy(),
    );
    expect(parseCodexSandboxConfig(`sandbox_mode = "danger-full-access"${table}`).policy).toEqual({
      type: 'danger-full-access',
    });
    expect(parseCodexSandboxConfig(table).policy).toEqual(readOnlyPolicy());
  });

  it('gives every mode full read access (February has no config key for restricted reads)', () => {
    for (const mode of CODEX_SANDBOX_MODES) {
      const { policy } = parseCodexSandboxConfig(`sandbox_mode = "${mode}"`);
      expect(hasFullDiskReadAccess(policy), mode).toBe(true);
    }
  });
});

describe('parseCodexSandboxConfig: errors name the key, the file and the line', () => {
  const path = '/home/me/.codex/config.toml';

  it('a TOML syntax error, with its line and column', () => {
    const error = invalid(() =>
      parseCodexSandboxConfig('model = "o3"\nsandbox_mode = workspace-write\n', { path }),
    );
    expect(error.code).toBe(SandboxErrorCode.Invalid);
    expect(error.where).toBe(path);
    expect(error.message).toMatch(
      /^invalid sandbox policy: \/home\/me\/\.codex\/config\.toml: TOML syntax error at line 2, column 16: invalid value\n/,
    );
    expect(error.message).toContain('sandbox_mode = workspace-write'); // the code block
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('names config.toml when no path is given', () => {
    const error = invalid(() => parseCodexSandboxConfig('[features\n'));
    expect(error.where).toBe('config.toml');
    expect(error.message).toMatch(
      /^invalid sandbox policy: config\.toml: TOML syntax error at line 1, /,
    );
  });

  it('an unknown mode, listing the valid ones', () => {
    const error = invalid(() =>
      parseCodexSandboxConfig('model = "o3"\n\nsandbox_mode = "workspace"\n', { path }),
    );
    expect(error.where).toBe('sandbox_mode');
    expect(error.message).toBe(
      `invalid sandbox policy: sandbox_mode: expected one of "read-only", "workspace-write", "danger-full-access"; got the string "workspace" (${path}:3)`,
    );
    expect(invalid(() => parseCodexSandboxConfig('sandbox_mode = true')).message).toContain(
      'got the boolean true (config.toml:1)',
    );
  });

  it('an unknown mode in a profile, even one that is not active', () => {
    const text = `${CODEX_CONFIG}\n[profiles."team.alpha"]\nmodel = "o3"\nsandbox_mode = "full"\n`;
    const error = invalid(() => parseCodexSandboxConfig(text, { path }));
    expect(error.where).toBe('profiles."team.alpha".sandbox_mode');
    const line = text.split('\n').indexOf('sandbox_mode = "full"') + 1;
    expect(error.message).toContain(`got the string "full" (${path}:${line})`);
  });

  it('a wrong type (`network_access = "yes"`)', () => {
    const text = CODEX_CONFIG.replace('network_access = true', 'network_access = "yes"');
    const error = invalid(() => parseCodexSandboxConfig(text, { path }));
    expect(error.where).toBe('sandbox_workspace_write.network_access');
    const line = text.split('\n').indexOf('network_access = "yes"') + 1;
    expect(error.message).toBe(
      `invalid sandbox policy: sandbox_workspace_write.network_access: expected true or false; got the string "yes" (${path}:${line})`,
    );
  });

  it('a wrong type in an inline table points at its line', () => {
    const text = 'model = "o3"\nsandbox_workspace_write = { exclude_slash_tmp = 1 }\n';
    const error = invalid(() => parseCodexSandboxConfig(text));
    expect(error.where).toBe('sandbox_workspace_write.exclude_slash_tmp');
    expect(error.message).toContain('got the integer 1 (config.toml:2)');
  });

  it('a relative writable root, and other bad writable_roots', () => {
    const text = `[sandbox_workspace_write]\nwritable_roots = [\n  "/ok",\n  "relative/dir",\n]\n`;
    const error = invalid(() => parseCodexSandboxConfig(text, { path }));
    expect(error.where).toBe('sandbox_workspace_write.writable_roots');
    expect(error.message).toContain(
      `element 1: "relative/dir" is not an absolute path (${path}:2)`,
    );
    expect(
      invalid(() => parseCodexSandboxConfig('[sandbox_workspace_write]\nwritable_roots = "/a"'))
        .message,
    ).toContain('expected an array of absolute paths; got the string "/a" (config.toml:2)');
    expect(
      invalid(() => parseCodexSandboxConfig('[sandbox_workspace_write]\nwritable_roots = [1]'))
        .message,
    ).toContain('element 0: expected an absolute path; got the integer 1');
  });

  it('an unknown key inside [sandbox_workspace_write], listing the known ones', () => {
    const text = `sandbox_mode = "workspace-write"

[sandbox_workspace_write]
network_access = false
exclude_tmp = true
`;
    const error = invalid(() => parseCodexSandboxConfig(text, { path }));
    expect(error.where).toBe('sandbox_workspace_write.exclude_tmp');
    expect(error.message).toBe(
      `invalid sandbox policy: sandbox_workspace_write.exclude_tmp: unknown key; expected one of writable_roots, network_access, exclude_tmpdir_env_var, exclude_slash_tmp (${path}:5)`,
    );
  });

  it('tables that are not tables', () => {
    expect(invalid(() => parseCodexSandboxConfig('sandbox_workspace_write = 5')).message).toBe(
      'invalid sandbox policy: sandbox_workspace_write: expected a table; got the integer 5 (config.toml:1)',
    );
    expect(invalid(() => parseCodexSandboxConfig('profiles = ["ci"]')).where).toBe('profiles');
    expect(invalid(() => parseCodexSandboxConfig('[profiles]\nci = "x"')).where).toBe(
      'profiles.ci',
    );
  });

  it('a profile that does not exist, or a profile key that is not a name', () => {
    const error = invalid(() => parseCodexSandboxConfig(CODEX_CONFIG, { profile: 'nope', path }));
    expect(error.where).toBe('profiles.nope');
    expect(error.message).toContain(`no such profile in ${path} (profiles: "ci", "yolo", "fast")`);
    expect(invalid(() => parseCodexSandboxConfig('profile = "x"')).message).toContain(
      '(it has no [profiles])',
    );
    expect(invalid(() => parseCodexSandboxConfig('profile = 1')).where).toBe('profile');
  });
});

describe('findTomlKeyLine', () => {
  const text = `title = """
[sandbox_workspace_write]
network_access = "not a key: inside a multi-line string"
"""
list = [
  "[not.a.header]",
]
[profiles.'a b']
sandbox_mode = "x" # comment
[profiles]
"quoted.key".sandbox_mode = "y"
[sandbox_workspace_write]
network_access = 1
inline = { deep = { key = 2 } }
`;

  it('finds keys under headers, quoted and dotted keys, skipping strings and arrays', () => {
    expect(findTomlKeyLine(text, ['sandbox_workspace_write', 'network_access'])).toBe(13);
    expect(findTomlKeyLine(text, ['sandbox_workspace_write'])).toBe(12);
    expect(findTomlKeyLine(text, ['profiles', 'a b', 'sandbox_mode'])).toBe(9);
    expect(findTomlKeyLine(text, ['profiles', 'quoted.key', 'sandbox_mode'])).toBe(11);
    expect(findTomlKeyLine(text, ['not', 'a', 'header'])).toBeUndefined();
  });

  it('falls back to the nearest written ancestor (keys inside inline tables)', () => {
    expect(findTomlKeyLine(text, ['sandbox_workspace_write', 'inline', 'deep', 'key'])).toBe(14);
    expect(findTomlKeyLine(text, ['missing', 'key'])).toBeUndefined();
  });
});
