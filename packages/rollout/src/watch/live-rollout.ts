import { type FileHandle, open } from 'node:fs/promises';

import { LiveDerivedRecords } from '../indexer/live-derived-records.js';
import { type RolloutLine, parseRolloutLine } from '../protocol/rollout-line.js';

/** Rollouts up to this size are followed line by line; larger ones are indexed whole on change. */
export const LIVE_ROLLOUT_MAX_BYTES = 64 * 1024 * 1024;

/**
 * A plain rollout the watcher follows: how far it has read (the byte after the last complete
 * line, and how many lines that was), and the derived indexes' collectors fed with every line so
 * far, so that an append is indexed by reading only the new bytes.
 */
export class LiveRollout {
  readonly path: string;
  readonly ino: number;
  offset = 0;
  lines = 0;
  readonly derived = new LiveDerivedRecords();

  private constructor(path: string, ino: number) {
    this.path = path;
    this.ino = ino;
  }

  /** Reads the whole file once (its complete lines) to follow it from its end on. */
  static async open(path: string): Promise<LiveRollout> {
    const handle = await open(path, 'r');
    try {
      const { ino } = await handle.stat();
      const live = new LiveRollout(path, ino);
      live.#take(await readFrom(handle, 0));
      return live;
    } finally {
      await handle.close();
    }
  }

  /**
   * The complete lines appended since the last read, parsed (bad lines are counted, not
   * returned), and the collectors fed with them. `undefined` when the file is no longer the one
   * followed (replaced, or shorter than what was read): it must be indexed whole again.
   */
  async readAppended(): Promise<RolloutLine[] | undefined> {
    const handle = await open(this.path, 'r');
    try {
      const stats = await handle.stat();
      if (stats.ino !== this.ino || stats.size < this.offset) return undefined;
      return this.#take(await readFrom(handle, this.offset));
    } finally {
      await handle.close();
    }
  }

  /** Takes the complete lines of `bytes` (read at `offset`): parses them, feeds the collectors. */
  #take(bytes: Buffer): RolloutLine[] {
    const end = bytes.lastIndexOf(0x0a) + 1;
    const parsed: RolloutLine[] = [];
    let start = 0;
    while (start < end) {
      const newline = bytes.indexOf(0x0a, start);
      const text = bytes.toString('utf8', start, newline).trim();
      start = newline + 1;
      this.lines += 1;
      if (text === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        continue; // A damaged line: the indexer reports those when it reads the file whole.
      }
      const result = parseRolloutLine(value);
      if (!('line' in result)) continue;
      this.derived.line(result.line, this.lines);
      parsed.push(result.line);
    }
    this.offset += end;
    return parsed;
  }
}

async function readFrom(handle: FileHandle, offset: number): Promise<Buffer> {
  const { size } = await handle.stat();
  const buffer = Buffer.allocUnsafe(Math.max(0, size - offset));
  let read = 0;
  while (read < buffer.length) {
    const { bytesRead } = await handle.read(buffer, read, buffer.length - read, offset + read);
    if (bytesRead === 0) break;
    read += bytesRead;
  }
  return buffer.subarray(0, read);
}
