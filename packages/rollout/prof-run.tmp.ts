import { mkdtempSync, rmSync } from 'node:fs';
import { openStateStore } from '@agent-state/state';
import { runBackfill, extractRolloutMetadata, collectRollouts } from './src/index.js';
const home = process.argv[2]!;
const mode = process.argv[3] ?? 'backfill';
const workers = Number(process.argv[4] ?? 0);
if (mode === 'extract') {
  const { files } = collectRollouts(home);
  let t0 = performance.now();
  for (const f of files)
    extractRolloutMetadata(f.path, { defaultProvider: 'openai', archived: f.archived });
  console.log('extract only', (performance.now() - t0) / 1000);
} else {
  const dir = mkdtempSync('/tmp/rb-probe/store-');
  const store = await openStateStore({ home: dir });
  const t0 = performance.now();
  const r = await runBackfill({ store, home, workers });
  console.log(mode, workers, r.outcome, r.upserted, (performance.now() - t0) / 1000);
  await store.close();
  rmSync(dir, { recursive: true });
}
