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
  /**
   * The conversation text. `fixture` (default): the fixtures' own prompts and answers, repeated by
   * every thread, and lorem-ipsum tool outputs. `varied`: each thread gets prompts and answers of
   * its own, and grown tool outputs are drawn from {@link GeneratedCorpus.vocabulary} with a
   * Zipf-like distribution (a few thousand English and programming words, identifiers, paths,
   * error messages), the sizes unchanged: rare and common words then mean something, for search
   * benchmarks. Seeded like the rest, and drawn from a stream of its own, so file names, ids and
   * sizes are those of a `fixture` corpus of the same seed.
   */
  text?: 'fixture' | 'varied' | undefined;
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
  /**
   * With `text: 'varied'`, what the text was drawn from: `words` most frequent first (an entry may
   * be several words: an error message), the last `conversationOnly` of them only in prompts and
   * answers, never in tool outputs, so that they are rare in the files too.
   */
  vocabulary?: { words: readonly string[]; conversationOnly: number };
}

interface Template {
  id: string;
  lines: string[];
  toolLines: string[];
  /** One tool call (see `growth: 'tool-calls'`); empty when no fixture of the version has one. */
  turnLines: string[];
  /**
   * The prompts and answers of the template as JSON string literals (quotes included, so that a
   * prompt is not matched inside the answer quoting it), and the lines holding each: what
   * `text: 'varied'` replaces.
   */
  texts: Array<{ literal: string; kind: 'prompt' | 'answer'; lines: number[] }>;
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
  // A stream of its own: the other draws (ids, sizes, dates) stay those of a `fixture` corpus.
  const varied =
    options.text === 'varied' ? variedText(seededRandom((options.seed ?? 1) ^ 0x5eed)) : undefined;
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
      const lines = varied ? varied.conversation(template) : template.lines;
      for (const line of lines) {
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
          write(`${grow(line.replaceAll(template.id, id), n, varied)}\n`);
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
  return varied ? { files, totalBytes, vocabulary: varied.vocabulary } : { files, totalBytes };
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
        templates.push({ id, lines, toolLines, turnLines: [], texts: conversationTexts(lines) });
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

/**
 * Makes a tool output line bigger: puts filler (lorem ipsum, or text drawn from the vocabulary)
 * at the start of its `output` string.
 */
function grow(line: string, n: number, text: VariedText | undefined): string {
  if (!line.includes('"function_call_output"')) return line;
  const size = FILLER.length * (1 + (n % 24));
  const filler = text ? text.output(size) : FILLER.repeat(1 + (n % 24));
  // A function, so that no `$` in the filler is read as a replacement pattern.
  return line.replace(/"output":"/, () => `"output":"[${n}] ${filler}`);
}

function uuidv7(ms: number, random: () => number): string {
  const hex = (value: number, width: number) => Math.floor(value).toString(16).padStart(width, '0');
  const time = hex(ms, 12);
  const rand = () => hex(random() * 0x10000, 4);
  const variant = (0x8000 | (Math.floor(random() * 0x4000) & 0x3fff)).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${rand().slice(1)}-${variant}-${rand()}${rand()}${rand()}`;
}

/** The fields of a rollout line's payload that hold prompts and answers. */
interface ConversationPayload {
  type?: unknown;
  role?: unknown;
  message?: unknown;
  last_agent_message?: unknown;
  content?: unknown;
  item?: { type?: unknown; content?: unknown };
}

/** The texts `text: 'varied'` replaces in a template's lines (see `Template.texts`). */
function conversationTexts(lines: readonly string[]): Template['texts'] {
  const found = new Map<string, 'prompt' | 'answer'>();
  const add = (value: unknown, kind: 'prompt' | 'answer') => {
    // Blank prompts are the fixtures' edge cases, and `""` would match every empty string.
    if (typeof value === 'string' && value.trim() !== '') found.set(value, kind);
  };
  const contentTexts = (content: unknown, kind: 'prompt' | 'answer') => {
    if (!Array.isArray(content)) return;
    for (const part of content as Array<{ text?: unknown }>) add(part?.text, kind);
  };
  for (const line of lines) {
    let parsed: { type?: string; payload?: ConversationPayload };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      // A fixture's deliberately bad line holds no conversation.
      continue;
    }
    const { type, payload } = parsed;
    if (!payload) continue;
    if (type === 'event_msg') {
      if (payload.type === 'user_message') add(payload.message, 'prompt');
      else if (payload.type === 'agent_message') add(payload.message, 'answer');
      else if (payload.type === 'task_complete') add(payload.last_agent_message, 'answer');
      else if (payload.type === 'item_completed' && payload.item?.type === 'UserMessage') {
        contentTexts(payload.item.content, 'prompt');
      } else if (payload.type === 'item_completed' && payload.item?.type === 'AgentMessage') {
        contentTexts(payload.item.content, 'answer');
      }
    } else if (
      type === 'response_item' &&
      payload.type === 'message' &&
      payload.role === 'assistant'
    ) {
      contentTexts(payload.content, 'answer');
    }
  }
  return [...found].map(([value, kind]) => {
    const literal = JSON.stringify(value);
    const at = lines.flatMap((line, n) => (line.includes(literal) ? [n] : []));
    return { literal, kind, lines: at };
  });
}

/** What `text: 'varied'` draws from, for one corpus. */
interface VariedText {
  vocabulary: NonNullable<GeneratedCorpus['vocabulary']>;
  /** The template's lines with prompts and answers of a thread of its own. */
  conversation(template: Template): string[];
  /** About `chars` characters of tool output (JSON-safe: no quote or backslash but `\n`). */
  output(chars: number): string;
}

/** The Zipf exponent of word frequencies (about 1 in natural text). */
const ZIPF_EXPONENT = 1.1;
/**
 * Characters of the tool-output text drawn once per corpus; outputs are slices of it at random
 * word boundaries (drawing 1.4 GB word by word would make the generator several times slower).
 * Larger than the largest output (87 KB), so that slices vary.
 */
const OUTPUT_POOL_CHARS = 4_000_000;

function variedText(random: () => number): VariedText {
  const vocabulary = buildVocabulary();
  const { words, conversationOnly } = vocabulary;
  const everyWord = zipfSampler(words.length, random);
  const outputWord = zipfSampler(words.length - conversationOnly, random);
  const sentence = (min: number, max: number) => {
    const count = min + Math.floor(random() * (max - min + 1));
    const picked = Array.from({ length: count }, () => words[everyWord()]!);
    const text = picked.join(' ');
    return `${text[0]!.toUpperCase()}${text.slice(1)}${random() < 0.3 ? '?' : '.'}`;
  };
  // Written as bytes into one buffer: joining half a million strings takes several times longer.
  // Every entry is ASCII.
  const encoded = words.map((word) => Buffer.from(word, 'latin1'));
  const pool = Buffer.allocUnsafe(OUTPUT_POOL_CHARS + 256);
  let poolChars = 0;
  while (poolChars < OUTPUT_POOL_CHARS) {
    poolChars += encoded[outputWord()]!.copy(pool, poolChars);
    // Output lines of about 12 words; every separator is a space but the line breaks (`\n`, as
    // JSON escapes it), so that a slice cut at a space never splits an escape.
    if (random() < 0.08) poolChars += pool.write('\\n', poolChars, 'latin1');
    else pool[poolChars++] = 0x20;
  }
  const text = pool.toString('latin1', 0, poolChars);
  return {
    vocabulary,
    conversation(template) {
      const lines = [...template.lines];
      for (const { literal, kind, lines: at } of template.texts) {
        const replacement = JSON.stringify(kind === 'prompt' ? sentence(4, 24) : sentence(10, 60));
        for (const n of at) lines[n] = lines[n]!.replaceAll(literal, () => replacement);
      }
      return lines;
    },
    output(chars) {
      const from = text.indexOf(' ', Math.floor(random() * (text.length - chars - 1_000))) + 1;
      return text.slice(from, text.lastIndexOf(' ', from + chars));
    },
  };
}

/** Draws ranks in [0, size) with probability proportional to 1 / (rank + 1)^s. */
function zipfSampler(size: number, random: () => number): () => number {
  const cumulative = new Float64Array(size);
  let total = 0;
  for (let rank = 0; rank < size; rank += 1) {
    total += 1 / (rank + 1) ** ZIPF_EXPONENT;
    cumulative[rank] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = size - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (cumulative[mid]! < target) low = mid + 1;
      else high = mid;
    }
    return low;
  };
}

/** The first ranks, in order: what every thread says. */
const HEAD_WORDS = `the to and a of in is it for that this with on not be we file error test are from
  as run at by function use should if or can when value type an return new data code fix line
  change build`;

const ENGLISH_WORDS = `about after again all also always another any around back because been before
  being below between both call called came case check clean close come could current day did
  different does done down each early either else end enough even every example fact far few find
  first follow found free full get give go good great group hand happen hard have head help here
  high hold how however idea important include inside instead into just keep kind know large last
  later least leave left less let level life light like likely little long look lose lot low made
  main make many may mean might miss more most move much must name near need never next nice night
  note nothing now number often old once one only open order other our out over own part pass past
  place plan point possible power present pretty problem put question quick quite rather read
  ready real reason right room same say second see seem seen send set several short show side
  simple since small so some something soon sort start state still stop such sure take tell than
  thank their them then there these they thing think those though three through time today
  together too top toward try turn two under until upon usual very wait want way well what where
  whether which while who whole why will wish within without word work world would write wrong
  year yes yet you your`;

const PROGRAMMING_WORDS = `abort adapter address alias allocate api append archive argument array
  assert async await backfill backoff batch benchmark binary bit boolean branch breakpoint buffer
  bug bundle byte cache callback cancel channel checksum child chunk class cli client clone column
  command commit compile compiler component compress concurrency config connection console
  constant constructor container context cookie coverage cpu crash cron cursor daemon database
  deadlock debug decode decorator default dependency deploy deserialize dictionary diff directory
  docker document domain driver dump element encode endpoint enum environment event exception exit
  export extension fetch field fixture flag flush folder fork format framework frontend generator
  getter git handler hash header heap hook host import increment index infer inherit init inject
  install instance integer interface interpreter iterator json kernel key lambda latency layout
  lease lexer library lint linker listener literal locale lock log loop macro manifest map memory
  merge method middleware migrate migrated migrating migration migrations mock module mutex
  namespace node null object offset package pagination parser patch payload pipeline plugin
  pointer port process profile promise prompt protocol proxy queue race recursion refactor
  reference regex registry release render replica repository request resolve response retry
  rollback rollout router runtime sandbox scheduler schema scope script sdk serialize server
  session setter shell signal snapshot socket source spawn sqlite stack stream string struct stub
  subprocess symbol sync syntax table tag terminal thread throttle timeout timestamp tokenizer
  trace transaction tree trigger tuple typescript undefined unicode upload url variable vector
  version vitest wal webhook worker workspace yaml zod zstd`;

/** Unusual English words: the tail of the ranking, so the rare words queries look for. */
const RARE_WORDS = `quixotic sesquipedalian defenestration petrichor susurrus apricity limerence
  syzygy zeugma borborygmus callipygian pulchritude obsequious perspicacious lugubrious mellifluous
  ineffable halcyon palimpsest antediluvian bombastic cacophony capricious crepuscular effulgent
  execrable fastidious garrulous grandiloquent hirsute iconoclast idiosyncratic impecunious
  inchoate insouciant lackadaisical loquacious magnanimous mendacious mercurial nefarious
  obstreperous onomatopoeia pellucid penumbra perfidious persnickety phantasmagoria plethora
  prestidigitation proclivity propinquity pusillanimous quintessential recalcitrant redolent
  saturnine scintilla soporific supercilious surreptitious taciturn tintinnabulation truculent
  umbrage unctuous vacillate verisimilitude vicissitude vituperative winsome zephyr abstemious
  acquiesce alacrity ameliorate anachronism anathema apocryphal archipelago assiduous auspicious
  bucolic cajole cantankerous chicanery circumlocution clandestine conflagration convivial
  copacetic deleterious desultory diaphanous diatribe dirigible ebullient egregious emollient
  enervate equanimity evanescent excoriate fecund filibuster flummox fulcrum gregarious hegemony
  histrionic imbroglio impetuous incandescent indefatigable inexorable kerfuffle labyrinthine
  laconic malfeasance maudlin nebulous nonplussed obdurate ostentatious panacea parsimonious
  peregrinate pernicious quagmire quandary ramshackle rapscallion raucous rigmarole salubrious
  sycophant tenebrous tumultuous vellichor wanderlust yesteryear zugzwang`;

const ERROR_MESSAGES = [
  'ENOENT: no such file or directory',
  'EACCES: permission denied',
  'EADDRINUSE: address already in use',
  'ECONNREFUSED: connection refused',
  'ECONNRESET: socket hang up',
  'ETIMEDOUT: operation timed out',
  'EPIPE: broken pipe',
  'EMFILE: too many open files',
  'SQLITE_BUSY: database is locked',
  'SQLITE_CORRUPT: database disk image is malformed',
  'SQLITE_FULL: database or disk is full',
  'TypeError: Cannot read properties of undefined',
  'TypeError: callback is not a function',
  'ReferenceError: process is not defined',
  'SyntaxError: Unexpected token in JSON at position 0',
  'RangeError: Maximum call stack size exceeded',
  'Error: Cannot find module',
  'FATAL ERROR: Reached heap limit Allocation failed',
  'Segmentation fault (core dumped)',
  "error TS2322: Type 'string' is not assignable to type 'number'",
  'error TS2307: Cannot find module',
  'fatal: not a git repository',
  'npm ERR! code ELIFECYCLE',
  'ERR_PNPM_OUTDATED_LOCKFILE',
  'panic: runtime error: index out of range',
  "thread 'main' panicked at",
  'AssertionError: expected 1 to equal 2',
  'Command failed with exit code 1',
  'Aborted (core dumped)',
];

/** Identifiers and paths a benchmark can count on (they are in the ranked part, not the tail). */
const NAMED_TOKENS = [
  'useStateDbOnly',
  'readRolloutLines',
  'openStateStore',
  'runBackfill',
  'STATE_DB_GENERATION',
  'MAX_SEARCH_LIMIT',
  'use_state_db_only',
  'extract_rollout_metadata',
  'packages/rollout/src/indexer/index-rollouts.ts',
  'packages/state/src/store/state-store.ts',
  'packages/rollout/src/x.ts',
];

const VERBS = `use get set load read write parse build create update delete find list resolve handle
  apply open close flush fetch index merge sync watch spawn check collect compute`;
const NOUNS = `State Db Thread Rollout Store Lease Index Query Token Session Config Path File Worker
  Cache Batch Schema Cursor Page Snippet Home Record Event Turn Tool Search Backfill Memory Log Job`;
const SUFFIXES = ['', 'Only', 'Sync', 'Async', 'Id', 'Count', 'Map', 'Options', 'Result', 'List'];
const PACKAGES = `rollout state memories logs-client sandbox-policy errors test-utils reliability`;
const FOLDERS = `indexer backfill search store listing reader extract threads leases sqlite paths`;

const split = (list: string) => list.split(/\s+/u).filter((word) => word !== '');

let vocabularyCache: NonNullable<GeneratedCorpus['vocabulary']> | undefined;

/**
 * The ranked vocabulary of `text: 'varied'`: the commonest English words first, then English and
 * programming words among identifiers (camelCase, snake_case, SCREAMING_CASE), paths and error
 * messages, then a tail of unusual words and further identifiers and paths that only
 * conversations use. Always the same (its own fixed seed), whatever the corpus seed.
 */
function buildVocabulary(): NonNullable<GeneratedCorpus['vocabulary']> {
  if (vocabularyCache) return vocabularyCache;
  const random = seededRandom(20_261_121);
  const shuffle = <T>(items: T[]): T[] => {
    for (let i = items.length - 1; i > 0; i -= 1) {
      const j = Math.floor(random() * (i + 1));
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  };
  const verbs = split(VERBS);
  const nouns = split(NOUNS);
  const identifiers = shuffle(
    verbs.flatMap((verb) =>
      nouns.flatMap((noun) => SUFFIXES.map((suffix) => `${verb}${noun}${suffix}`)),
    ),
  );
  const words = (camel: string) => camel.split(/(?=[A-Z])/u).map((w) => w.toLowerCase());
  const kebab = (camel: string) => words(camel).join('-');
  const packages = split(PACKAGES);
  const folders = split(FOLDERS);
  const paths = identifiers.map((identifier, n) => {
    const pkg = packages[n % packages.length]!;
    const folder = folders[Math.floor(n / packages.length) % folders.length]!;
    return `packages/${pkg}/src/${folder}/${kebab(identifier)}.ts`;
  });
  const taken = new Set<string>([...NAMED_TOKENS]);
  const fresh = (list: string[], count: number): string[] => {
    const out: string[] = [];
    for (const item of list) {
      if (out.length === count) break;
      if (taken.has(item)) continue;
      taken.add(item);
      out.push(item);
    }
    return out;
  };
  const camel = fresh(identifiers, 1_500);
  const snake = fresh(
    identifiers.map((i) => words(i).join('_')),
    300,
  );
  const screaming = fresh(
    identifiers.map((i) => words(i).join('_').toUpperCase()),
    100,
  );
  const filePaths = fresh(paths, 500);
  // Words and code tokens alternate down the ranking (two words, then a token) until the words
  // run out: text is mostly words, with identifiers, paths and errors among them, as in real
  // conversations and tool output.
  const plain = shuffle([...split(ENGLISH_WORDS), ...split(PROGRAMMING_WORDS)]);
  const tokens = shuffle([
    ...ERROR_MESSAGES,
    ...NAMED_TOKENS,
    ...camel,
    ...snake,
    ...screaming,
    ...filePaths,
  ]);
  const middle: string[] = [];
  while (plain.length > 0 || tokens.length > 0) {
    const token = middle.length % 3 === 2 || plain.length === 0;
    middle.push((token && tokens.length > 0 ? tokens : plain).pop()!);
  }
  const tail = shuffle([...split(RARE_WORDS), ...fresh(identifiers, 300), ...fresh(paths, 150)]);
  vocabularyCache = {
    words: [...split(HEAD_WORDS), ...middle, ...tail],
    conversationOnly: tail.length,
  };
  return vocabularyCache;
}

/**
 * The size parameters of the benchmarks' corpus (the issues' 10,000 rollouts, ~1.4 GB): grown by
 * whole tool calls, so that most bytes are tool output as in real rollouts, not events; the fixture
 * rollouts are 1–23 KB, grown a little.
 *
 * @example
 * ```ts
 * const corpus = generateCorpus({ home, count: 10_000, ...BENCH_CORPUS, text: 'varied' });
 * ```
 */
export const BENCH_CORPUS = {
  seed: 7,
  mediumShare: 0.08,
  largeShare: 0.02,
  growth: 'tool-calls',
  smallBytes: { min: 5_000, max: 45_000 },
} as const satisfies Partial<GenerateCorpusOptions>;
