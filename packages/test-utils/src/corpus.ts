import {
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  utimesSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

import { CODEX_FIXTURE_VERSIONS, codexFixtureDir } from './fixtures.js';
import { seededRandom } from './seeded-random.js';

/** Options of {@link generateCorpus}. */
export interface GenerateCorpusOptions {
  /** Home to write `sessions/` (and some `archived_sessions/`) into. */
  home: string;
  /** Number of rollouts. */
  count: number;
  /** Seed of the pseudo-random choices (same seed, same corpus). */
  seed?: number;
  /** Share of rollouts grown to 200 KB–1 MB, and to 1–5 MB, with extra tool calls (default 0). */
  mediumShare?: number;
  largeShare?: number;
  /**
   * Grow the other rollouts too, to a size drawn in this range, bytes (default: none, they keep
   * their fixture's size, about 1–23 KB). Real small rollouts are often tens of KB.
   */
  smallBytes?: { min: number; max: number } | undefined;
  /**
   * How rollouts grow. `fixture-tool-lines` (default): each round repeats every tool-call and
   * `token_count` line of the fixture, so fixtures without tool calls grow by `token_count` events
   * alone. `tool-calls`: each round is one tool call as Codex writes it (`function_call`, its
   * output, the `CommandExecution` item where the version has one, one `token_count`), borrowed
   * from a fixture of the same version when the rollout's own has none: most bytes are then tool
   * output, as in real large rollouts.
   */
  growth?: 'fixture-tool-lines' | 'tool-calls' | undefined;
  /** Share of rollouts put in `archived_sessions/` (default 0.05). */
  archivedShare?: number;
  /** Creation dates are spread over this many days before `endMs` (default 60). */
  days?: number;
  endMs?: number;
}

/** What {@link generateCorpus} wrote. */
export interface GeneratedCorpus {
  files: Array<{ path: string; id: string; bytes: number; archived: boolean }>;
  totalBytes: number;
}

interface Template {
  id: string;
  lines: string[];
  toolLines: string[];
  /** One tool call (see `growth: 'tool-calls'`); empty when no fixture of the version has one. */
  turnLines: string[];
}

/**
 * Builds a corpus of realistic rollouts by scaling the real Codex fixture rollouts (both formats):
 * each file is a fixture rollout with a fresh UUIDv7 thread id (everywhere it appears), a creation
 * time spread over the last `days`, a matching `sessions/YYYY/MM/DD/rollout-…` name and mtime.
 * Medium and large files repeat the fixture's tool-call lines with bigger outputs.
 *
 * @example
 * ```ts
 * const { files, totalBytes } = generateCorpus({ home, count: 2000, seed: 7 });
 * ```
 */
export function generateCorpus(options: GenerateCorpusOptions): GeneratedCorpus {
  const random = seededRandom(options.seed ?? 1);
  const templates = loadTemplates();
  const endMs = options.endMs ?? Date.parse('2026-11-21T00:00:00Z');
  const spanMs = (options.days ?? 60) * 86_400_000;
  const files: GeneratedCorpus['files'] = [];
  let totalBytes = 0;
  const createdAll = Array.from(
    { length: options.count },
    () => endMs - Math.floor(random() * spanMs),
  ).sort((a, b) => a - b);
  for (let i = 0; i < options.count; i += 1) {
    const template = templates[Math.floor(random() * templates.length)]!;
    const createdMs = createdAll[i]!;
    const id = uuidv7(createdMs, random);
    const stamp = new Date(createdMs).toISOString();
    const nameStamp = stamp.slice(0, 19).replace(/:/g, '-');
    const archived = random() < (options.archivedShare ?? 0.05);
    const dir = archived
      ? join(options.home, 'archived_sessions')
      : join(options.home, 'sessions', stamp.slice(0, 4), stamp.slice(5, 7), stamp.slice(8, 10));
    mkdirSync(dir, { recursive: true });
    const path = join(dir, `rollout-${nameStamp}-${id}.jsonl`);

    const roll = random();
    const targetBytes =
      roll < (options.largeShare ?? 0)
        ? 1_000_000 + Math.floor(random() * 4_000_000)
        : roll < (options.largeShare ?? 0) + (options.mediumShare ?? 0)
          ? 200_000 + Math.floor(random() * 800_000)
          : options.smallBytes
            ? options.smallBytes.min +
              Math.floor(random() * (options.smallBytes.max - options.smallBytes.min))
            : 0;

    const fd = openSync(path, 'w');
    let bytes = 0;
    const write = (text: string) => {
      bytes += writeSync(fd, text);
    };
    try {
      let metaDone = false;
      for (const line of template.lines) {
        let text = line.replaceAll(template.id, id);
        if (!metaDone && text.includes('"type":"session_meta"')) {
          text = text.replace(/("payload":\{.*?"timestamp":")[^"]+(")/, `$1${stamp}$2`);
          metaDone = true;
        }
        write(`${text}\n`);
      }
      // Grow with more tool calls (each repeat carries a bigger output) until the target size.
      const growLines = options.growth === 'tool-calls' ? template.turnLines : template.toolLines;
      for (let n = 0; bytes < targetBytes && growLines.length > 0; n += 1) {
        for (const line of growLines) {
          write(`${grow(line.replaceAll(template.id, id), n)}\n`);
        }
      }
    } finally {
      closeSync(fd);
    }
    const mtime = (createdMs + 60_000 + Math.floor(random() * 3_600_000)) / 1000;
    utimesSync(path, mtime, mtime);
    files.push({ path, id, bytes, archived });
    totalBytes += bytes;
  }
  return { files, totalBytes };
}

function loadTemplates(): Template[] {
  const templates: Template[] = [];
  for (const version of CODEX_FIXTURE_VERSIONS) {
    const first = templates.length;
    const home = join(codexFixtureDir(version), 'home');
    const dirs = [join(home, 'sessions', '2026', '11', '21'), join(home, 'archived_sessions')];
    for (const dir of dirs) {
      for (const name of readdirSync(dir)) {
        const lines = readFileSync(join(dir, name), 'utf8')
          .split('\n')
          .filter((l) => l !== '');
        const id = name.slice(-('.jsonl'.length + 36), -'.jsonl'.length);
        const toolLines = lines.filter(
          (l) =>
            l.includes('"function_call') ||
            l.includes('"CommandExecution"') ||
            l.includes('"token_count"'),
        );
        templates.push({ id, lines, toolLines, turnLines: [] });
      }
    }
    const ofVersion = templates.slice(first);
    for (const template of ofVersion) template.turnLines = toolCallTurn(template, ofVersion);
  }
  return templates;
}

/**
 * One tool call of a template as Codex writes it: the `function_call`, its output, the
 * `CommandExecution` item (where the version writes one) and one `token_count` (the template's
 * last). Borrowed, with the thread id replaced, from a rollout of the same version when the
 * template has no tool call.
 */
function toolCallTurn(template: Template, sameVersion: readonly Template[]): string[] {
  const hasCall = (t: Template) => t.lines.some((l) => l.includes('"function_call_output"'));
  const donor = hasCall(template) ? template : sameVersion.find(hasCall);
  if (!donor) return [];
  const pick = (t: Template, needle: string) => t.lines.findLast((l) => l.includes(needle));
  return [
    pick(donor, '"type":"function_call"'),
    pick(donor, '"function_call_output"'),
    pick(donor, '"CommandExecution"'),
    pick(template, '"token_count"') ?? pick(donor, '"token_count"'),
  ]
    .filter((line): line is string => line !== undefined)
    .map((line) => line.replaceAll(donor.id, template.id));
}

const FILLER = 'lorem ipsum dolor sit amet, consectetur adipiscing elit; '.repeat(64);

/** Makes a tool output line bigger: appends filler to its `output` string. */
function grow(line: string, n: number): string {
  if (!line.includes('"function_call_output"')) return line;
  return line.replace(/"output":"/, `"output":"[${n}] ${FILLER.repeat(1 + (n % 24))}`);
}

function uuidv7(ms: number, random: () => number): string {
  const hex = (value: number, width: number) => Math.floor(value).toString(16).padStart(width, '0');
  const time = hex(ms, 12);
  const rand = () => hex(random() * 0x10000, 4);
  const variant = (0x8000 | (Math.floor(random() * 0x4000) & 0x3fff)).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${rand().slice(1)}-${variant}-${rand()}${rand()}${rand()}`;
}
