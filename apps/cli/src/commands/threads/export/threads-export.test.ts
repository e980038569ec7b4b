import { appendFileSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { type Transcript, readRollout } from '@agent-state/rollout';
import {
  CODEX_FIXTURE_VERSIONS,
  type CodexFixtureVersion,
  tempDirs,
} from '@agent-state/test-utils';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';

import { codexHome, codexThreadList, runCli } from '../../../cli-harness.js';
import { ExitCode } from '../../../exit-codes.js';

const temp = tempDirs();
/** The two fresh fixture homes and the lived-in one (compressed rollouts, a fork by reference, sub-agents). */
const ALL_HOMES: readonly CodexFixtureVersion[] = [
  ...CODEX_FIXTURE_VERSIONS,
  'v0.169.0-compressed',
];
afterEach(() => temp.cleanup());

/** The JSON Schema as published by @agent-state/rollout (its `transcript.schema.json` export). */
const schema = JSON.parse(
  readFileSync(
    createRequire(import.meta.url).resolve('@agent-state/rollout/transcript.schema.json'),
    'utf8',
  ),
) as Record<string, unknown>;
const validate = new Ajv2020({ strict: true }).compile(schema);

const ECHO = '01a1fca2-4d0c-7883-b67e-ad58b7675481';
const UNKNOWN = '01a1fca2-4d0c-7883-b67e-000000000000';

/**
 * What the rollout itself says was asked, answered and run, in order: the user-message events
 * (legacy `user_message`, 0.169's `item_completed` of a `UserMessage`), the assistant messages and
 * the commands of the function calls. Read here without the transcript code.
 */
async function conversationOf(path: string): Promise<string[]> {
  const texts: string[] = [];
  for await (const { line } of readRollout(path)) {
    const payload = line.payload as Record<string, unknown>;
    if (line.type === 'event_msg' && payload.type === 'user_message') {
      texts.push(String(payload.message));
    } else if (line.type === 'event_msg' && payload.type === 'item_completed') {
      const item = payload.item as { type?: string; content?: { type: string; text?: string }[] };
      if (item.type === 'UserMessage') {
        texts.push((item.content ?? []).map((part) => part.text ?? '').join('\n'));
      }
    } else if (
      line.type === 'response_item' &&
      payload.type === 'message' &&
      payload.role === 'assistant'
    ) {
      const parts = payload.content as { type: string; text?: string }[];
      texts.push(parts.map((part) => part.text ?? '').join('\n'));
    } else if (line.type === 'response_item' && payload.type === 'function_call') {
      const args = JSON.parse(String(payload.arguments)) as { cmd?: string };
      if (args.cmd !== undefined) texts.push(args.cmd);
    }
  }
  return texts.map((text) => text.trim()).filter((text) => text !== '');
}

/** The text a browser shows of an HTML document: tags out, entities decoded. */
function visibleText(html: string): string {
  return html
    .replace(/<(script|style)\b[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&amp;/g, '&');
}

/** Whether every line of every text occurs in `document`, in this order. */
function inOrder(document: string, texts: readonly string[]): string | undefined {
  let from = 0;
  for (const line of texts.flatMap((text) => text.split('\n'))) {
    const wanted = line.trim();
    if (wanted === '') continue;
    const at = document.indexOf(wanted, from);
    if (at === -1) return wanted;
    from = at + wanted.length;
  }
  return undefined;
}

async function exportThread(home: string, id: string, ...flags: string[]): Promise<string> {
  const { exitCode, stdout, stderr } = await runCli([
    '--home',
    home,
    'threads',
    'export',
    id,
    ...flags,
  ]);
  expect(stderr).toBe('');
  expect(exitCode).toBe(ExitCode.Ok);
  return stdout;
}

describe('agent-state threads export', () => {
  it.each(ALL_HOMES.map((version) => [version]))(
    '%s: Markdown and HTML hold every prompt, answer and command of every thread in order; the JSON fits the published schema',
    async (version: CodexFixtureVersion) => {
      const home = codexHome(temp, version);
      const { active, archived } = codexThreadList(version);
      for (const thread of [...active, ...archived]) {
        const json = JSON.parse(
          await exportThread(home, thread.id, '--format', 'json'),
        ) as Transcript;
        expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
        // A fork by reference holds only its own lines; its inherited turns come from the parent.
        const expected = await conversationOf(json.thread.rolloutPath);
        const markdown = await exportThread(home, thread.id, '--format', 'md');
        expect(inOrder(markdown, expected), `${thread.id} (md)`).toBeUndefined();
        const html = await exportThread(home, thread.id, '--format', 'html');
        expect(inOrder(visibleText(html), expected), `${thread.id} (html)`).toBeUndefined();
      }
    },
  );

  it('the HTML is one self-contained file: no script, stylesheet, image or font from anywhere', async () => {
    const home = codexHome(temp, 'v0.169.0');
    const html = await exportThread(home, ECHO, '--format', 'html');
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    expect(html).not.toMatch(/<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)=/i);
    expect(html).not.toMatch(/url\(\s*['"]?(?:https?:)?\/\//i);
    expect(html).toContain('prefers-color-scheme: dark');
  });

  it('--output writes the file in the format its extension names', async () => {
    const home = codexHome(temp, 'v0.169.0');
    const dir = temp.make('out');
    for (const [name, start] of [
      ['t.md', '# RUN: echo hi'],
      ['t.json', '{'],
      ['t.html', '<!DOCTYPE html>'],
    ] as const) {
      const output = join(dir, name);
      const { exitCode, stdout, stderr } = await runCli([
        '--home',
        home,
        'threads',
        'export',
        ECHO,
        '--output',
        output,
      ]);
      expect(exitCode).toBe(ExitCode.Ok);
      expect(stdout).toBe('');
      expect(stderr).toContain(`wrote ${output}`);
      expect(readFileSync(output, 'utf8').slice(0, start.length).toLowerCase()).toBe(
        start.toLowerCase(),
      );
    }
  });

  it('--redact removes planted secrets from every format', async () => {
    const home = codexHome(temp, 'v0.169.0');
    const json = JSON.parse(await exportThread(home, ECHO, '--format', 'json')) as Transcript;
    const key = 'sk-proj-abcdefghijklmnopqrstuvwxyz0123456789';
    const token = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789AB';
    const turnId = '01a1fca2-ffff-7000-8000-0000000000aa';
    const at = '2026-11-21T06:00:00.000Z';
    appendFileSync(
      json.thread.rolloutPath,
      [
        { type: 'event_msg', payload: { type: 'task_started', turn_id: turnId } },
        {
          type: 'event_msg',
          payload: { type: 'user_message', message: `use OPENAI_API_KEY=${key}` },
        },
        {
          type: 'response_item',
          payload: {
            type: 'function_call',
            name: 'exec_command',
            arguments: JSON.stringify({ cmd: `curl -H "Authorization: Bearer ${token}" x` }),
            call_id: 'call_planted',
          },
        },
        {
          type: 'response_item',
          payload: {
            type: 'function_call_output',
            call_id: 'call_planted',
            output: `token=${token}`,
          },
        },
      ]
        .map((line) => `${JSON.stringify({ timestamp: at, ...line })}\n`)
        .join(''),
    );
    for (const format of ['md', 'html', 'json']) {
      const plain = await exportThread(home, ECHO, '--format', format);
      expect(plain).toContain(key);
      const redacted = await exportThread(home, ECHO, '--format', format, '--redact');
      expect(redacted).not.toContain(key);
      expect(redacted).not.toContain(token);
      expect(redacted).toContain('[REDACTED]');
    }
  });

  it('an unknown id exits 3 naming it; a bad format exits 2', async () => {
    const home = codexHome(temp, 'v0.169.0');
    const missing = await runCli(['--home', home, 'threads', 'export', UNKNOWN]);
    expect(missing.exitCode).toBe(ExitCode.NotFound);
    expect(missing.stderr).toContain(UNKNOWN);
    const bad = await runCli(['--home', home, 'threads', 'export', ECHO, '--format', 'pdf']);
    expect(bad.exitCode).toBe(ExitCode.Usage);
    expect(bad.stderr).toContain('pdf');
  });
});
