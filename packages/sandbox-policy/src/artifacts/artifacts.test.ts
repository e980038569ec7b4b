import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { CODEX_FIXTURE_VERSIONS, codexFixtureDir, fixturesRoot } from '@agent-state/test-utils';
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
  AppServerReadOnlyAccessSchema,
  type AppServerSandboxPolicyJson,
  AppServerSandboxPolicySchema,
  CoreReadOnlyAccessSchema,
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

// ---- Checked against Codex 0.100's own generated JSON Schema (`codex app-server
// generate-json-schema`, vendored in fixtures/codex-schemas): ours judges every policy as Codex's
// does, except those that carry a field the wire form does not have, which Codex ignores (serde
// without deny_unknown_fields; its schema sets no additionalProperties) and ours refuses, as
// parseSandboxPolicy does. And ours judges every policy as the zod reader does, except that roots
// must be absolute, which only the reader checks. ----

const CODEX_SCHEMAS = join(fixturesRoot(), 'codex-schemas', 'v0.100.0');

type Form = 'core' | 'v2';

/** Codex's definition `name` in one of its generated files, with the definitions it refers to. */
function loadCodexValidator(file: string, name: string): ValidateFunction {
  const generated = JSON.parse(readFileSync(join(CODEX_SCHEMAS, file), 'utf8')) as {
    $schema: string;
    definitions: Record<string, object>;
  };
  const root = { $schema: generated.$schema, ...generated.definitions[name] };
  return new Ajv({ strict: true, allErrors: true }).compile({
    ...root,
    definitions: generated.definitions,
  });
}

/** One object of the corpus: the wire form it is written in, and where a judge may differ. */
interface PolicyCase {
  form: Form;
  value: unknown;
  /** Carries a field its wire form does not have (Codex ignores it, ours refuses it). */
  unknownField?: true;
  /** Valid but for a relative root (only the zod reader checks absoluteness). */
  relativeRoot?: true;
}

/**
 * Every variant of both types with each optional field absent and present, wrong types in every
 * field, unknown and other-form tags, non-objects, unknown fields and relative roots, in one wire
 * form. Names are given in camelCase (the app-server form) and turned into the core form's
 * kebab-case tags and snake_case fields.
 */
function policyCorpus(form: Form): { policies: PolicyCase[]; accesses: PolicyCase[] } {
  const other: Form = form === 'core' ? 'v2' : 'core';
  const tagIn = (f: Form, name: string): string =>
    f === 'v2' ? name : name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  const fieldIn = (f: Form, name: string): string =>
    f === 'v2' ? name : name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  const tag = (name: string): string => tagIn(form, name);
  const field = (name: string): string => fieldIn(form, name);
  /** Judged alike by Codex's schema, ours and the reader (valid or not). */
  const alike = (value: unknown): PolicyCase => ({ form, value });
  const unknown = (value: unknown): PolicyCase => ({ form, value, unknownField: true });
  const relative = (value: unknown): PolicyCase => ({ form, value, relativeRoot: true });

  const fullAccess = { type: tag('fullAccess') };
  const restricted = {
    type: 'restricted',
    [field('includePlatformDefaults')]: false,
    [field('readableRoots')]: ['/home/me/src', '/opt/data dir'],
  };
  const goodAccesses = [
    fullAccess,
    { type: 'restricted' },
    { type: 'restricted', [field('includePlatformDefaults')]: true },
    { type: 'restricted', [field('includePlatformDefaults')]: false },
    { type: 'restricted', [field('readableRoots')]: [] },
    { type: 'restricted', [field('readableRoots')]: ['/a'] },
    restricted,
  ];
  const badAccesses = [
    null,
    true,
    tag('fullAccess'),
    [fullAccess],
    {},
    { type: 'everything' },
    { type: tagIn(other, 'fullAccess') },
    { type: 'Restricted' },
    { type: 'restricted', [field('includePlatformDefaults')]: 'yes' },
    { type: 'restricted', [field('includePlatformDefaults')]: null },
    { type: 'restricted', [field('readableRoots')]: '/a' },
    { type: 'restricted', [field('readableRoots')]: [1] },
    { type: 'restricted', [field('readableRoots')]: null },
  ];
  const unknownFieldAccesses = [
    { ...fullAccess, deny: ['/'] },
    { ...restricted, writable: true },
    { type: 'restricted', [fieldIn(other, 'includePlatformDefaults')]: false },
  ];
  const relativeAccesses = [
    { type: 'restricted', [field('readableRoots')]: ['relative/dir'] },
    { type: 'restricted', [field('readableRoots')]: ['/a', ''] },
  ];
  const accesses = [
    ...goodAccesses.map(alike),
    ...badAccesses.map(alike),
    ...unknownFieldAccesses.map(unknown),
    ...relativeAccesses.map(relative),
  ];

  const dangerFullAccess = { type: tag('dangerFullAccess') };
  const readOnly = { type: tag('readOnly') };
  const externalSandbox = { type: tag('externalSandbox') };
  const workspaceWrite = { type: tag('workspaceWrite') };
  const workspaceFields: Array<[string, unknown]> = [
    [field('writableRoots'), ['/data', '/cache']],
    [field('readOnlyAccess'), restricted],
    [field('networkAccess'), true],
    [field('excludeTmpdirEnvVar'), true],
    [field('excludeSlashTmp'), false],
  ];
  const policies: PolicyCase[] = [
    // Every variant, every optional field absent and present.
    alike(dangerFullAccess),
    alike(readOnly),
    ...goodAccesses.map((access) => alike({ ...readOnly, access })),
    alike(externalSandbox),
    alike({ ...externalSandbox, [field('networkAccess')]: 'restricted' }),
    alike({ ...externalSandbox, [field('networkAccess')]: 'enabled' }),
    ...Array.from({ length: 2 ** workspaceFields.length }, (_, mask) =>
      alike({
        ...workspaceWrite,
        ...Object.fromEntries(workspaceFields.filter((_, bit) => mask & (1 << bit))),
      }),
    ),
    ...goodAccesses.map((access) =>
      alike({ ...workspaceWrite, [field('readOnlyAccess')]: access }),
    ),
    alike({ ...workspaceWrite, [field('writableRoots')]: [] }),
    // Not a policy object, or no known tag.
    ...[null, true, 0, 'read-only', tag('readOnly'), [], [readOnly], {}].map(alike),
    ...[null, 1, '', 'open-door', 'READ-ONLY', 'Read-Only', 'read_only'].map((type) =>
      alike({ type }),
    ),
    ...['dangerFullAccess', 'readOnly', 'externalSandbox', 'workspaceWrite'].map((name) =>
      alike({ type: tagIn(other, name) }),
    ),
    alike({ [field('networkAccess')]: true }),
    // Wrong types in every field.
    ...badAccesses.map((access) => alike({ ...readOnly, access })),
    ...[true, 'open', 'Enabled', null, 1].map((network) =>
      alike({ ...externalSandbox, [field('networkAccess')]: network }),
    ),
    ...[
      [field('writableRoots'), '/data'],
      [field('writableRoots'), [1]],
      [field('writableRoots'), [null]],
      [field('writableRoots'), null],
      [field('writableRoots'), {}],
      [field('networkAccess'), 'yes'],
      [field('networkAccess'), 1],
      [field('networkAccess'), null],
      [field('networkAccess'), 'enabled'],
      [field('excludeTmpdirEnvVar'), 'true'],
      [field('excludeTmpdirEnvVar'), 0],
      [field('excludeTmpdirEnvVar'), null],
      [field('excludeSlashTmp'), 'false'],
      [field('excludeSlashTmp'), 1],
      [field('excludeSlashTmp'), null],
      ...badAccesses.map((access) => [field('readOnlyAccess'), access]),
    ].map(([name, value]) => alike({ ...workspaceWrite, [name as string]: value })),
    // A field the wire form does not have: alone, or beside an invalid one (then refused by all).
    ...[dangerFullAccess, readOnly, externalSandbox, workspaceWrite].map((policy) =>
      unknown({ ...policy, extra: 1 }),
    ),
    unknown({ ...readOnly, [field('networkAccess')]: true }), // March's field, not February's
    unknown({ ...workspaceWrite, [fieldIn(other, 'networkAccess')]: true }),
    unknown({ ...externalSandbox, [fieldIn(other, 'networkAccess')]: 'enabled' }),
    ...unknownFieldAccesses.map((access) => unknown({ ...readOnly, access })),
    ...unknownFieldAccesses.map((access) =>
      unknown({ ...workspaceWrite, [field('readOnlyAccess')]: access }),
    ),
    alike({ ...workspaceWrite, extra: 1, [field('networkAccess')]: 'yes' }),
    alike({ type: 'open-door', extra: 1 }),
    // Relative roots.
    relative({ ...workspaceWrite, [field('writableRoots')]: ['relative/dir'] }),
    relative({ ...workspaceWrite, [field('writableRoots')]: [''] }),
    ...relativeAccesses.map((access) => relative({ ...readOnly, access })),
    ...relativeAccesses.map((access) =>
      relative({ ...workspaceWrite, [field('readOnlyAccess')]: access }),
    ),
  ];
  return { policies, accesses };
}

describe('the JSON Schemas checked against Codex 0.100’s own generated schema', () => {
  /** Codex's schema, ours and the zod reader of one type in one wire form. */
  const judgesOf = (codexFile: string, oursDir: string, name: string, reader: z.ZodType) => ({
    codex: loadCodexValidator(codexFile, name),
    ours: loadValidator(`schema/json/${oursDir}${name}.json`),
    reader,
  });
  const judges = {
    core: {
      policy: judgesOf(
        'v1/ExecOneOffCommandParams.json',
        '',
        'SandboxPolicy',
        CoreSandboxPolicySchema,
      ),
      access: judgesOf(
        'v1/ExecOneOffCommandParams.json',
        '',
        'ReadOnlyAccess',
        CoreReadOnlyAccessSchema,
      ),
    },
    v2: {
      policy: judgesOf(
        'v2/CommandExecParams.json',
        'v2/',
        'SandboxPolicy',
        AppServerSandboxPolicySchema,
      ),
      access: judgesOf(
        'v2/CommandExecParams.json',
        'v2/',
        'ReadOnlyAccess',
        AppServerReadOnlyAccessSchema,
      ),
    },
  };
  const forms: Form[] = ['core', 'v2'];

  /** The generated corpus, plus every policy real Codex wrote and the hand-picked ones above. */
  function corpus(part: 'policies' | 'accesses'): PolicyCase[] {
    const cases = forms.flatMap((form) => policyCorpus(form)[part]);
    if (part === 'policies') {
      cases.push(
        ...[...fixturePolicies(), ...CORE_VALID, ...SAMPLE_POLICIES.map(toCoreJson)].map(
          (value) => ({ form: 'core' as const, value }),
        ),
        ...[...V2_VALID, ...SAMPLE_POLICIES.map(toAppServerJson)].map((value) => ({
          form: 'v2' as const,
          value,
        })),
      );
    }
    const seen = new Set<string>();
    return cases.filter((c) => {
      const key = `${c.form} ${JSON.stringify(c.value)}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }

  /**
   * Judges each case in the given forms with Codex's schema, ours and the zod reader, and lists
   * where ours differs from each of the other two.
   */
  function judge(
    cases: PolicyCase[],
    formsOf: (c: PolicyCase) => Form[],
    part: 'policy' | 'access',
  ): { judged: number; accepted: number; codex: string[]; reader: string[] } {
    const result = { judged: 0, accepted: 0, codex: [] as string[], reader: [] as string[] };
    for (const form of forms) {
      const { codex, ours, reader } = judges[form][part];
      for (const c of cases.filter((c) => formsOf(c).includes(form))) {
        const verdicts = {
          codex: codex(c.value),
          ours: ours(c.value),
          reader: reader.safeParse(c.value).success,
        };
        result.judged += 1;
        if (verdicts.ours) result.accepted += 1;
        const what = `${form} ${JSON.stringify(c.value)}: ours ${verdicts.ours ? 'accepts' : 'refuses'}`;
        if (verdicts.codex !== verdicts.ours) result.codex.push(what);
        if (verdicts.reader !== verdicts.ours) result.reader.push(what);
      }
    }
    return result;
  }

  /** What `judge` lists for the cases marked `key`, in the order it judges them. */
  function expected(
    cases: PolicyCase[],
    key: 'unknownField' | 'relativeRoot',
    ours: 'accepts' | 'refuses',
  ): string[] {
    return forms.flatMap((form) =>
      cases
        .filter((c) => c.form === form && c[key])
        .map((c) => `${form} ${JSON.stringify(c.value)}: ours ${ours}`),
    );
  }

  it('Codex’s generated schemas accept every policy real Codex wrote', () => {
    const policies = fixturePolicies();
    for (const policy of policies)
      expect(
        judges.core.policy.codex(policy),
        JSON.stringify(judges.core.policy.codex.errors),
      ).toBe(true);
  });

  it('SandboxPolicy, in both wire forms: alike but for unknown fields (Codex) and relative roots (reader)', () => {
    const cases = corpus('policies');
    // Policy tags differ between the forms, so each policy is judged in both.
    const found = judge(cases, () => forms, 'policy');
    expect(found.judged).toBe(2 * cases.length);
    expect(found.accepted).toBeGreaterThan(100);
    expect(found.judged - found.accepted).toBeGreaterThan(200);
    expect(found.codex).toEqual(expected(cases, 'unknownField', 'refuses'));
    expect(found.reader).toEqual(expected(cases, 'relativeRoot', 'accepts'));
  });

  it('ReadOnlyAccess, in both wire forms: alike but for unknown fields (Codex) and relative roots (reader)', () => {
    const cases = corpus('accesses');
    // `restricted` is a tag of both forms, so each access is judged in its own.
    const found = judge(cases, (c) => [c.form], 'access');
    expect(found.judged).toBe(cases.length);
    expect(found.codex).toEqual(expected(cases, 'unknownField', 'refuses'));
    expect(found.reader).toEqual(expected(cases, 'relativeRoot', 'accepts'));
  });
});
