// Child process of the materialize multi-process test: materializes one compressed rollout when
// the parent releases all workers at once.
import { createLogger } from '@agent-state/state';
import { workerMain } from '@agent-state/test-utils';

import type { ZstdDecoderKind } from '../src/reader/zstd-decoder.js';
import { materializeRollout } from '../src/recorder/materialize-rollout.js';

export interface MaterializeWorkerArgs {
  path: string;
  zstdDecoder: ZstdDecoderKind;
}

/** The plain path it returned, and what it logged (which says who wrote the plain file). */
export interface MaterializeWorkerResult {
  plain: string;
  messages: string[];
}

await workerMain<MaterializeWorkerArgs, null, MaterializeWorkerResult>({
  prepare: () => null,
  body: async (_, args) => {
    const messages: string[] = [];
    const logger = createLogger((record) => messages.push(record.message), { minLevel: 'debug' });
    const plain = await materializeRollout(args.path, { zstdDecoder: args.zstdDecoder, logger });
    return { plain, messages };
  },
});
