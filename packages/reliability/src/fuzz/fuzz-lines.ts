import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { CODEX_FIXTURE_VERSIONS, codexFixtureDir } from '@agent-state/test-utils';
import fc from 'fast-check';

/** Every non-blank line of every rollout of both real Codex fixture homes. */
export function fixtureLines(): string[] {
  const lines: string[] = [];
  for (const version of CODEX_FIXTURE_VERSIONS) {
    for (const file of walk(join(codexFixtureDir(version), 'home'))) {
      if (!/rollout-.*\.jsonl$/.test(file)) continue;
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line.trim() !== '') lines.push(line.replace(/\r$/, ''));
      }
    }
  }
  return lines;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path));
    else out.push(path);
  }
  return out;
}

/** A line as generated: its bytes and whether it is a complete line that must be read back. */
export interface GenLine {
  bytes: Buffer;
  /** The untouched text of a valid line (must come back identical), else undefined. */
  valid?: string | undefined;
}

const TIMESTAMP = '2026-11-21T05:44:05.123Z';

/** Generated valid lines of the known and unknown types (kept small). */
export function generatedLineArb(): fc.Arbitrary<string> {
  const text = fc.string({ unit: 'grapheme', maxLength: 40 });
  return fc.oneof(
    text.map((message) =>
      JSON.stringify({
        timestamp: TIMESTAMP,
        type: 'event_msg',
        payload: { type: 'agent_message', message },
      }),
    ),
    text.map((message) =>
      JSON.stringify({
        timestamp: TIMESTAMP,
        type: 'event_msg',
        payload: { type: 'user_message', message, images: [] },
      }),
    ),
    fc
      .tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }))
      .map(([type, payload]) =>
        JSON.stringify({ timestamp: TIMESTAMP, type: `x_${type}`, payload }),
      ),
    fc
      .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })
      .map((extra) =>
        JSON.stringify({ timestamp: TIMESTAMP, type: 'world_state', payload: extra }),
      ),
  );
}

const ASTRAL = '\u{1F600}\u{10FFFF}';
const LONE = '\ud800x\udfff';

/** Mutations of a valid line's text; each returns bytes that are not necessarily a valid line. */
export type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; xor: number }
  | { kind: 'huge'; megabytes: number }
  | { kind: 'deep'; depth: number }
  | { kind: 'unicode'; which: number }
  | { kind: 'wrong-type'; field: number; value: number }
  | { kind: 'wrong-nested'; pick: number; value: number }
  | { kind: 'unknown-field'; name: string }
  | { kind: 'nul' }
  | { kind: 'not-json'; text: string };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('flip' as const),
    at: fc.nat(),
    xor: fc.integer({ min: 1, max: 255 }),
  }),
  fc.record({ kind: fc.constant('huge' as const), megabytes: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ kind: fc.constant('deep' as const), depth: fc.constantFrom(100, 1000, 10_000) }),
  fc.record({ kind: fc.constant('unicode' as const), which: fc.nat({ max: 5 }) }),
  fc.record({
    kind: fc.constant('wrong-type' as const),
    field: fc.nat({ max: 3 }),
    value: fc.nat({ max: 5 }),
  }),
  fc.record({
    kind: fc.constant('wrong-nested' as const),
    pick: fc.nat(),
    value: fc.nat({ max: 5 }),
  }),
  fc.record({ kind: fc.constant('unknown-field' as const), name: fc.string({ maxLength: 10 }) }),
  fc.record({ kind: fc.constant('nul' as const) }),
  fc.record({ kind: fc.constant('not-json' as const), text: fc.string({ maxLength: 20 }) }),
);

const WRONG_VALUES: unknown[] = [42, null, true, [], {}, 'text'];
const FIELDS = ['timestamp', 'type', 'payload', 'ordinal'];

/**
 * Applies a mutation. Returns the bytes and, when the result is itself a complete valid line whose
 * parsed value is known, `valid` (the text that must be read back as `JSON.parse` of it).
 * `valid` is left undefined whenever the mutation may or may not keep the line valid: the
 * property then only requires the line to be read back consistently or reported.
 */
export function mutate(line: string, mutation: Mutation): GenLine {
  const bytes = Buffer.from(line, 'utf8');
  switch (mutation.kind) {
    case 'truncate': {
      const cut = bytes.subarray(0, mutation.at % Math.max(1, bytes.length));
      return { bytes: cut };
    }
    case 'flip': {
      const copy = Buffer.from(bytes);
      const at = mutation.at % Math.max(1, copy.length);
      copy[at] = (copy[at] ?? 0) ^ mutation.xor;
      // A flip that makes a newline splits the line in two: fine, both halves are checked.
      return { bytes: copy };
    }
    case 'huge': {
      const value = JSON.parse(line) as Record<string, unknown>;
      target(value)['huge'] = 'h'.repeat(mutation.megabytes * 1024 * 1024);
      const text = JSON.stringify(value);
      return { bytes: Buffer.from(text, 'utf8'), valid: text };
    }
    case 'deep': {
      const value = JSON.parse(line) as Record<string, unknown>;
      target(value)['deep'] = '\u0000DEEP';
      const text = JSON.stringify(value).replace(
        '"\\u0000DEEP"',
        `${'['.repeat(mutation.depth)}${']'.repeat(mutation.depth)}`,
      );
      return { bytes: Buffer.from(text, 'utf8'), valid: text };
    }
    case 'unicode': {
      const value = JSON.parse(line) as Record<string, unknown>;
      const samples = [ASTRAL, LONE, '\u0000', 'a\r\nb', '\ufeff', '\u2028\u2029'];
      target(value)['u'] = samples[mutation.which];
      const text = JSON.stringify(value);
      if (mutation.which === 4) {
        // A raw BOM before the line: not JSON any more.
        return { bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]) };
      }
      return { bytes: Buffer.from(text, 'utf8'), valid: text };
    }
    case 'wrong-type': {
      const value = JSON.parse(line) as Record<string, unknown>;
      value[FIELDS[mutation.field] ?? 'type'] = WRONG_VALUES[mutation.value];
      return { bytes: Buffer.from(JSON.stringify(value), 'utf8') };
    }
    case 'wrong-nested': {
      // Any field at any depth of the payload (e.g. `info.total_token_usage`) gets a wrong type.
      const value = JSON.parse(line) as Record<string, unknown>;
      const slots = objectSlots(value['payload']);
      const slot = slots[mutation.pick % Math.max(1, slots.length)];
      if (slot) slot.parent[slot.key] = WRONG_VALUES[mutation.value];
      return { bytes: Buffer.from(JSON.stringify(value), 'utf8') };
    }
    case 'unknown-field': {
      const value = JSON.parse(line) as Record<string, unknown>;
      target(value)[`zz_${mutation.name}`] = { nested: [1, 'two', null] };
      const text = JSON.stringify(value);
      return { bytes: Buffer.from(text, 'utf8'), valid: text };
    }
    case 'nul':
      return { bytes: Buffer.concat([bytes.subarray(0, 5), Buffer.from([0]), bytes.subarray(5)]) };
    case 'not-json':
      return { bytes: Buffer.from(mutation.text.replace(/[\r\n]/g, ' '), 'utf8') };
  }
}

/** Where added fields go: the payload when it is an object (kept by the loose schemas). */
function target(value: Record<string, unknown>): Record<string, unknown> {
  const payload = value['payload'];
  if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) {
    return payload as Record<string, unknown>;
  }
  return value;
}

/** Structural equality without recursion (values can be nested 10k levels deep). */
export function deepEqualIterative(a: unknown, b: unknown): boolean {
  const stack: Array<[unknown, unknown]> = [[a, b]];
  while (stack.length > 0) {
    const [x, y] = stack.pop() as [unknown, unknown];
    if (Object.is(x, y)) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (Array.isArray(x) !== Array.isArray(y)) return false;
    const kx = Object.keys(x).filter((k) => (x as Record<string, unknown>)[k] !== undefined);
    const ky = Object.keys(y).filter((k) => (y as Record<string, unknown>)[k] !== undefined);
    if (kx.length !== ky.length) return false;
    for (const k of kx) {
      if (!Object.hasOwn(y, k)) return false;
      stack.push([(x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]]);
    }
  }
  return true;
}

/** Every (object, key) pair inside `value`, breadth first, at most 500. */
function objectSlots(value: unknown): Array<{ parent: Record<string, unknown>; key: string }> {
  const slots: Array<{ parent: Record<string, unknown>; key: string }> = [];
  const queue: unknown[] = [value];
  while (queue.length > 0 && slots.length < 500) {
    const next = queue.shift();
    if (typeof next !== 'object' || next === null) continue;
    for (const key of Object.keys(next)) {
      const parent = next as Record<string, unknown>;
      slots.push({ parent, key });
      queue.push(parent[key]);
    }
  }
  return slots;
}
