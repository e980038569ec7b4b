import { stat } from 'node:fs/promises';

import type { Transcript } from '@agent-state/rollout';

/** Transcripts a server keeps read (the last ones asked for). */
export const TRANSCRIPT_CACHE_SIZE = 8;

/** What a cached transcript was read from: its rollout, its size and its modification time. */
interface RolloutSignature {
  path: string;
  size: number;
  mtimeMs: number;
}

interface Entry {
  transcript: Transcript;
  signature: RolloutSignature;
}

async function signatureOf(path: string): Promise<RolloutSignature | undefined> {
  try {
    const stats = await stat(path);
    return { path, size: stats.size, mtimeMs: stats.mtimeMs };
  } catch {
    return undefined;
  }
}

function sameSignature(a: RolloutSignature, b: RolloutSignature | undefined): boolean {
  return b !== undefined && a.path === b.path && a.size === b.size && a.mtimeMs === b.mtimeMs;
}

/**
 * The last {@link TRANSCRIPT_CACHE_SIZE} transcripts read, by thread id, each kept while its
 * rollout is the file it was read from (same path, size and modification time: Codex appends to
 * it, archiving moves it), so paging through a long thread or downloading it reads the rollout
 * once. A fork is not kept: its history is read from its parents' rollouts, which may change
 * without its own. The transcripts are shared: the pages must not change them.
 */
export class TranscriptCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, Entry>();

  constructor(capacity = TRANSCRIPT_CACHE_SIZE) {
    this.#capacity = capacity;
  }

  /** The transcript of thread `id`: the one kept if its rollout has not changed, else `load()`. */
  async get(id: string, load: () => Promise<Transcript>): Promise<Transcript> {
    const kept = this.#entries.get(id);
    if (kept !== undefined) {
      this.#entries.delete(id);
      if (sameSignature(kept.signature, await signatureOf(kept.signature.path))) {
        this.#entries.set(id, kept); // the most recently used last
        return kept.transcript;
      }
    }
    const transcript = await load();
    const signature = await signatureOf(transcript.thread.rolloutPath);
    if (transcript.thread.forkedFrom === null && signature !== undefined) {
      this.#entries.delete(id);
      this.#entries.set(id, { transcript, signature });
      while (this.#entries.size > this.#capacity) {
        this.#entries.delete(this.#entries.keys().next().value!);
      }
    }
    return transcript;
  }
}
