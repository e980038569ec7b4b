// What "works alone" means for each public package of the packing smoke test
// (scripts/pack-smoke.ts): the package's manifest expectations and a short program that calls a
// real function of its API. Each program runs in its own Node process inside the throwaway
// project, once as ESM (`import`) and once as CJS (`require`).

/** A public package of the workspace and what its packed, installed copy must do. */
export interface PublicPackage {
  /** The package directory, relative to the repository root. */
  dir: string;
  /** The `bin` names its manifest must declare, exactly. */
  bins: readonly string[];
  /**
   * The body of an async function run against the installed package. In scope: `pkg` (the
   * package's exports), `home` (an empty temp directory) and `assert` (node:assert/strict). It
   * throws on failure.
   */
  check: string;
  /** Commands run from the project, as `[bin, ...args]`; `{home}` stands for the temp home. */
  commands: readonly (readonly string[])[];
}

export const PUBLIC_PACKAGES: readonly PublicPackage[] = [
  {
    dir: 'packages/errors',
    bins: [],
    check: `
      const codes = pkg.registerErrorCodes('pack-smoke', {
        Jammed: { code: 'PACK_SMOKE_JAMMED', category: 'external-service', description: 'Jammed.' },
      });
      const error = new pkg.AgentStateError(codes.Jammed, 'jammed');
      assert.equal(pkg.toAgentStateError(error), error, 'an agent-state error is kept as it is');
      assert.equal(pkg.errorCategory(error), 'external-service');
      assert.equal(pkg.toAgentStateError(new TypeError('bug')).code, pkg.CoreErrorCode.Internal);`,
    commands: [],
  },
  {
    dir: 'packages/state',
    bins: [],
    check: `
      const store = await pkg.openStateStore({ home });
      try {
        const page = await store.threads.list({ pageSize: 25, sortKey: 'updated', anchor: null });
        assert.equal(page.items.length, 0, 'a new store has no threads');
      } finally {
        await store.close();
      }`,
    commands: [],
  },
  {
    dir: 'packages/postgres',
    bins: [],
    check: `
      const server = pkg.parseStoreUrl('postgres://me:s3cret@127.0.0.1:1/agent_state');
      assert.equal(server.display, 'postgres://me@127.0.0.1:1/agent_state');
      await assert.rejects(
        pkg.openPostgresStore({ url: 'postgres://me:s3cret@127.0.0.1:1/agent_state', home, connectTimeoutMs: 2000 }),
        (error) => error.code === 'STORE_UNREACHABLE' && !error.message.includes('s3cret'),
      );`,
    commands: [],
  },
  {
    dir: 'packages/rollout',
    bins: [],
    check: `
      const page = await pkg.listThreads({ home, pageSize: 10 });
      assert.equal(page.items.length, 0, 'an empty home has no threads');
      assert.equal(page.nextCursor, null);`,
    commands: [],
  },
  {
    dir: 'packages/sandbox-policy',
    bins: [],
    check: `
      const json =
        '{"type":"workspace-write","network_access":false,"exclude_tmpdir_env_var":false,"exclude_slash_tmp":false}';
      const policy = pkg.parseSandboxPolicy(json);
      assert.equal(JSON.stringify(pkg.toCoreJson(policy)), json, 'the policy round-trips');
      assert.equal(pkg.toAppServerJson(policy).type, 'workspaceWrite');`,
    commands: [],
  },
  {
    dir: 'packages/logs-client',
    bins: ['logs_client'],
    check: `
      assert.deepEqual(pkg.parseLevelFilter(['warn+']).map((l) => l.toLowerCase()).sort(), ['error', 'warn']);
      assert.match(pkg.logsClientHelp('logs_client'), /log database/);`,
    commands: [['logs_client', '--help']],
  },
  {
    dir: 'packages/memories',
    bins: [],
    check: `
      const root = pkg.memoriesRoot(home);
      assert.ok(root.startsWith(home), 'the memories root is inside the home');
      assert.equal(typeof (await pkg.readMemorySummary({ root })), 'string');
      const files = await import('@agent-state/memories/files');
      assert.equal(files.memoriesRoot(home), root);
      assert.equal(typeof (await files.memoryFilesStatus(root)).skills, 'number');`,
    commands: [],
  },
  {
    dir: 'packages/web',
    bins: [],
    // The browser assets ship in the tarball (the server reads them at start) and a transcript
    // renders to one self-contained document.
    check: `
      const server = await pkg.startWebServer({ home, port: 0 });
      try {
        const page = await fetch(server.url);
        assert.equal(page.status, 200, 'the thread list answers');
        const html = await page.text();
        const script = /src="(\\/assets\\/app-[^"]+\\.js)"/.exec(html);
        assert.ok(script, 'the page names its bundled script');
        const asset = await fetch(new URL(script[1], server.url));
        assert.equal(asset.status, 200, 'the bundled script is served');
      } finally {
        await server.close();
      }
      const transcript = {
        format: 'agent-state.transcript', version: 1,
        thread: { id: '01a1fca2-4d0c-7883-b67e-ad58b7675481', title: 'Smoke', cwd: null, createdAt: null,
          updatedAt: null, archived: false, source: null, cliVersion: null, modelProvider: null,
          gitBranch: null, rolloutPath: '/r.jsonl', forkedFrom: null, parentThreadId: null },
        turns: [{ index: 1, id: null, inherited: false, fromThreadId: '01a1fca2-4d0c-7883-b67e-ad58b7675481',
          startedAt: null, completedAt: null, durationMs: null, status: 'completed', model: null, usage: null,
          items: [{ type: 'user_message', line: 2, time: null, text: 'hello <there>', images: [] }] }],
        usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningOutputTokens: 0, totalTokens: 0 },
        skippedLines: [], redacted: false,
      };
      const document = pkg.renderTranscriptHtml(transcript);
      assert.match(document, /hello &lt;there&gt;/, 'the transcript is rendered, escaped');`,
    commands: [],
  },
  {
    dir: 'apps/cli',
    bins: ['agent-state'],
    check: `
      let out = '';
      const stdout = { write: (chunk) => { out += chunk; return true; } };
      const code = await pkg.main(['node', 'agent-state', '--home', home, 'doctor', '--json'], { stdout });
      assert.equal(code, pkg.ExitCode.Ok, 'doctor exits 0: ' + out);
      assert.equal(typeof JSON.parse(out), 'object', 'doctor --json prints one JSON document');`,
    commands: [
      ['agent-state', '--help'],
      ['agent-state', '--home', '{home}', 'doctor', '--json'],
      // The bundled sample sessions ship in the tarball and the demo works offline from it.
      ['agent-state', '--home', '{home}/demo', 'demo'],
    ],
  },
];

/** The program that runs `check` on the installed package `name`, as ESM or CJS source. */
export function checkProgram(name: string, check: string, format: 'esm' | 'cjs'): string {
  const body = `async function check(pkg, home, assert) {${check}\n}`;
  const run = `check(pkg, process.env.SMOKE_HOME, assert).then(
  () => console.log('ok'),
  (error) => { console.error(error); process.exitCode = 1; },
);`;
  if (format === 'esm') {
    return [
      `import assert from 'node:assert/strict';`,
      `import * as pkg from ${JSON.stringify(name)};`,
      body,
      run,
    ].join('\n');
  }
  return [
    `'use strict';`,
    `const assert = require('node:assert/strict');`,
    `const pkg = require(${JSON.stringify(name)});`,
    body,
    run,
  ].join('\n');
}
