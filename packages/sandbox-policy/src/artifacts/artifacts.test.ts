import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CODEX_FIXTURE_VERSIONS, codexFixtureDir } from '@agent-state/test-utils';
import { Ajv, type ValidateFunction } from 'ajv';
import ts from 'typescript';
import { describe, expect, expectTypeOf, it } from 'vitest';

import type { NetworkAccess as GeneratedNetworkAccess } from '../../schema/typescript/NetworkAccess.js';
import type { ReadOnlyAccess as GeneratedReadOnlyAccess } from '../../schema/typescript/ReadOnlyAccess.js';
import type { SandboxPolicy as GeneratedSandboxPolicy } from '../../schema/typescript/SandboxPolicy.js';
import type { NetworkAccess as GeneratedV2NetworkAccess } from '../../schema/typescript/v2/NetworkAccess.js';
import type { ReadOnlyAccess as GeneratedV2ReadOnlyAccess } from '../../schema/typescript/v2/ReadOnlyAccess.js';
import type { SandboxPolicy as GeneratedV2SandboxPolicy } from '../../schema/typescript/v2/SandboxPolicy.js';
import {
  type AppServerReadOnlyAccessSchema,
  type AppServerSandboxPolicyJson,
  AppServerSandboxPolicySchema,
  type CoreReadOnlyAccessSchema,
  type CoreSandboxPolicyJson,
  CoreSandboxPolicySchema,
  type NetworkAccess,
  type SandboxPolicy,
  readOnlyPolicy,
  toAppServerJson,
  toCoreJson,
  workspaceWritePolicy,
} from '../policy/sandbox-policy.js';
import { GENERATED_HEADER, GENERATE_COMMAND, generateArtifacts } from './generate.js';

import type { z } from 'zod';

const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const STALE = `schema artifacts are stale: run \`${GENERATE_COMMAND}\``;

/** The checked-in artifacts, by path relative to the package (`schema/json/SandboxPolicy.json`). */
function checkedInArtifacts(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(PACKAGE_DIR, path).split(sep).join('/'), readFileSync(path, 'utf8'));
    }
  };
  walk(join(PACKAGE_DIR, 'schema'));
  return files;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
}

/** What the comparison ignores: CRLF line ends (a Windows checkout) and JSON key order. */
function normalize(path: string, text: string): string {
  const lf = text.replace(/\r\n/g, '\n');
  return path.endsWith('.json') ? JSON.stringify(sortKeys(JSON.parse(lf))) : lf;
}

/** The differences between two artifact sets, one line per file (empty when in sync). */
function artifactDifferences(expected: Map<string, string>, actual: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [path, content] of expected) {
    const found = actual.get(path);
    if (found === undefined) problems.push(`${path}: missing`);
    else if (normalize(path, found) !== normalize(path, content)) problems.push(`${path}: differs`);
  }
  for (const path of actual.keys()) {
    if (!expected.has(path)) problems.push(`${path}: not generated any more`);
  }
  return problems;
}

describe('schema artifacts', () => {
  it('the checked-in files are what the generator writes from the zod schemas', async () => {
    const generated = await generateArtifacts();
    expect(artifactDifferences(generated, checkedInArtifacts()), STALE).toEqual([]);
  });

  it('generates the same bytes every time, with the header, LF line ends and a final newline', async () => {
    const [first, second] = await Promise.all([generateArtifacts(), generateArtifacts()]);
    expect([...first]).toEqual([...second]);
    expect([...first.keys()]).toEqual([
      'schema/json/NetworkAccess.json',
      'schema/json/ReadOnlyAccess.json',
      'schema/json/SandboxPolicy.json',
      'schema/json/v2/NetworkAccess.json',
      'schema/json/v2/ReadOnlyAccess.json',
      'schema/json/v2/SandboxPolicy.json',
      'schema/typescript/NetworkAccess.d.ts',
      'schema/typescript/ReadOnlyAccess.d.ts',
      'schema/typescript/SandboxPolicy.d.ts',
      'schema/typescript/v2/NetworkAccess.d.ts',
      'schema/typescript/v2/ReadOnlyAccess.d.ts',
      'schema/typescript/v2/SandboxPolicy.d.ts',
    ]);
    for (const [path, content] of first) {
      expect(content, path).not.toContain('\r');
      expect(content.endsWith('\n'), path).toBe(true);
      if (path.endsWith('.d.ts'))
        expect(content.startsWith(`${GENERATED_HEADER}\n`), path).toBe(true);
      else
        expect((JSON.parse(content) as { $comment: string }).$comment).toContain(GENERATE_COMMAND);
    }
  });

  it('the stale check ignores CRLF and JSON key order, and reports missing, extra and changed files', () => {
    const generated = new Map([
      ['schema/json/A.json', '{\n  "a": 1,\n  "b": [1, 2]\n}\n'],
      ['schema/typescript/A.d.ts', '// x\nexport type A = 1;\n'],
    ]);
    const equivalent = new Map([
      ['schema/json/A.json', '{"b":[1,2],\r\n"a":1}'],
      ['schema/typescript/A.d.ts', '// x\r\nexport type A = 1;\r\n'],
    ]);
    expect(artifactDifferences(generated, equivalent)).toEqual([]);
    const stale = new Map([
      ['schema/json/A.json', '{"a":1,"b":[2,1]}'],
      ['schema/json/Old.json', '{}'],
    ]);
    expect(artifactDifferences(generated, stale)).toEqual([
      'schema/json/A.json: differs',
      'schema/typescript/A.d.ts: missing',
      'schema/json/Old.json: not generated any more',
    ]);
  });

  it('the TypeScript declarations compile on their own (strict, NodeNext, no skipLibCheck)', () => {
    const files = [...checkedInArtifacts().keys()]
      .filter((path) => path.endsWith('.d.ts'))
      .map((path) => join(PACKAGE_DIR, path));
    const program = ts.createProgram(files, {
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      target: ts.ScriptTarget.ES2022,
      types: [],
    });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });

  it('the TypeScript declarations are the input types of the zod schemas', () => {
    expectTypeOf<GeneratedSandboxPolicy>().toEqualTypeOf<CoreSandboxPolicyJson>();
    expectTypeOf<GeneratedReadOnlyAccess>().toEqualTypeOf<
      z.input<typeof CoreReadOnlyAccessSchema>
    >();
    expectTypeOf<GeneratedNetworkAccess>().toEqualTypeOf<NetworkAccess>();
    expectTypeOf<GeneratedV2SandboxPolicy>().toEqualTypeOf<AppServerSandboxPolicyJson>();
    expectTypeOf<GeneratedV2ReadOnlyAccess>().toEqualTypeOf<
      z.input<typeof AppServerReadOnlyAccessSchema>
    >();
    expectTypeOf<GeneratedV2NetworkAccess>().toEqualTypeOf<NetworkAccess>();
  });
});

// ---- The JSON Schemas validate what Codex and agent-state write, and refuse the rest. ----

function loadValidator(relativePath: string): ValidateFunction {
  const schema = JSON.parse(readFileSync(join(PACKAGE_DIR, relativePath), 'utf8')) as object;
  return new Ajv({ strict: true, allErrors: true }).compile(schema);
}

/** Every `turn_context.sandbox_policy` Codex wrote in the fixture rollouts. */
function fixturePolicies(): unknown[] {
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
  return [...found].sort().map((text) => JSON.parse(text) as unknown);
}

const SAMPLE_POLICIES: SandboxPolicy[] = [
  readOnlyPolicy(),
  readOnlyPolicy({
    type: 'restricted',
    includePlatformDefaults: false,
    readableRoots: ['/home/me/src'],
  }),
  workspaceWritePolicy(),
  workspaceWritePolicy({
    writableRoots: ['/data', '/cache'],
    readOnlyAccess: { type: 'restricted', includePlatformDefaults: true, readableRoots: [] },
    networkAccess: true,
    excludeTmpdirEnvVar: true,
    excludeSlashTmp: true,
  }),
  { type: 'danger-full-access' },
  { type: 'external-sandbox', networkAccess: 'enabled' },
];

const CORE_VALID: unknown[] = [
  { type: 'read-only' },
  { type: 'danger-full-access' },
  {
    type: 'workspace-write',
    network_access: false,
    exclude_tmpdir_env_var: false,
    exclude_slash_tmp: false,
  },
  { type: 'workspace-write' },
  { type: 'workspace-write', writable_roots: ['/data'], network_access: true },
  { type: 'read-only', access: { type: 'full-access' } },
  { type: 'read-only', access: { type: 'restricted' } },
  {
    type: 'read-only',
    access: { type: 'restricted', include_platform_defaults: false, readable_roots: ['/a', '/b'] },
  },
  { type: 'external-sandbox' },
  { type: 'external-sandbox', network_access: 'restricted' },
];

const CORE_INVALID: unknown[] = [
  {},
  null,
  'read-only',
  { type: 'read_only' },
  { type: 'readOnly' },
  { type: 'workspace-write', network_access: 'yes' },
  { type: 'workspace-write', networkAccess: true },
  { type: 'workspace-write', writable_roots: '/data' },
  { type: 'workspace-write', writable_roots: [1] },
  { type: 'read-only', network_access: true }, // March's field, not February's
  { type: 'read-only', access: { type: 'everything' } },
  { type: 'read-only', access: { type: 'restricted', readable_roots: '/a' } },
  { type: 'read-only', access: { type: 'fullAccess' } },
  { type: 'external-sandbox', network_access: 'open' },
  { type: 'danger-full-access', extra: 1 },
];

const V2_VALID: unknown[] = [
  { type: 'readOnly', access: { type: 'fullAccess' } },
  { type: 'readOnly' },
  { type: 'dangerFullAccess' },
  {
    type: 'workspaceWrite',
    writableRoots: [],
    readOnlyAccess: { type: 'fullAccess' },
    networkAccess: false,
    excludeTmpdirEnvVar: false,
    excludeSlashTmp: false,
  },
  { type: 'workspaceWrite', networkAccess: true },
  {
    type: 'readOnly',
    access: { type: 'restricted', includePlatformDefaults: true, readableRoots: ['/a'] },
  },
  { type: 'externalSandbox', networkAccess: 'enabled' },
];

const V2_INVALID: unknown[] = [
  { type: 'read-only' },
  { type: 'workspaceWrite', network_access: true },
  { type: 'workspaceWrite', networkAccess: 'yes' },
  { type: 'readOnly', access: { type: 'full-access' } },
  { type: 'readOnly', access: { type: 'restricted', readable_roots: [] } },
  { type: 'externalSandbox', networkAccess: true },
];

describe('generated JSON Schemas', () => {
  const core = loadValidator('schema/json/SandboxPolicy.json');
  const v2 = loadValidator('schema/json/v2/SandboxPolicy.json');

  it('accept every policy real Codex wrote', () => {
    const policies = fixturePolicies();
    expect(policies.length).toBeGreaterThan(0);
    for (const policy of policies) expect(core(policy), JSON.stringify(core.errors)).toBe(true);
  });

  it('accept the core forms and refuse bad ones, agreeing with CoreSandboxPolicySchema', () => {
    for (const policy of [...CORE_VALID, ...SAMPLE_POLICIES.map(toCoreJson)]) {
      expect(core(policy), `${JSON.stringify(policy)}: ${JSON.stringify(core.errors)}`).toBe(true);
      expect(CoreSandboxPolicySchema.safeParse(policy).success).toBe(true);
    }
    for (const policy of CORE_INVALID) {
      expect(core(policy), JSON.stringify(policy)).toBe(false);
      expect(CoreSandboxPolicySchema.safeParse(policy).success, JSON.stringify(policy)).toBe(false);
    }
  });

  it('accept the app-server forms and refuse bad ones, agreeing with AppServerSandboxPolicySchema', () => {
    for (const policy of [...V2_VALID, ...SAMPLE_POLICIES.map(toAppServerJson)]) {
      expect(v2(policy), `${JSON.stringify(policy)}: ${JSON.stringify(v2.errors)}`).toBe(true);
      expect(AppServerSandboxPolicySchema.safeParse(policy).success).toBe(true);
    }
    for (const policy of [...V2_INVALID, ...CORE_VALID.filter((p) => p !== null)]) {
      expect(v2(policy), JSON.stringify(policy)).toBe(false);
      expect(AppServerSandboxPolicySchema.safeParse(policy).success).toBe(false);
    }
  });

  it('validate ReadOnlyAccess and NetworkAccess on their own', () => {
    const access = loadValidator('schema/json/ReadOnlyAccess.json');
    expect(access({ type: 'full-access' })).toBe(true);
    expect(access({ type: 'restricted', readable_roots: ['/a'] })).toBe(true);
    expect(access({ type: 'restricted', include_platform_defaults: 'yes' })).toBe(false);
    const v2Access = loadValidator('schema/json/v2/ReadOnlyAccess.json');
    expect(v2Access({ type: 'restricted', includePlatformDefaults: true, readableRoots: [] })).toBe(
      true,
    );
    expect(v2Access({ type: 'full-access' })).toBe(false);
    for (const path of ['schema/json/NetworkAccess.json', 'schema/json/v2/NetworkAccess.json']) {
      const network = loadValidator(path);
      expect([network('restricted'), network('enabled'), network('open'), network(true)]).toEqual([
        true,
        true,
        false,
        false,
      ]);
    }
  });

  it('leave absoluteness of roots to parseSandboxPolicy (JSON Schema has no portable check)', () => {
    const relativeRoot = { type: 'workspace-write', writable_roots: ['relative/dir'] };
    expect(core(relativeRoot)).toBe(true);
    expect(CoreSandboxPolicySchema.safeParse(relativeRoot).success).toBe(false);
  });
});
