import { mkdtempSync, rmSync } from 'node:fs'; import { tmpdir } from 'node:os'; import { join } from 'node:path';
const state = await import('/work/main/packages/state/dist/index.js'); const rollout = await import('/work/main/packages/rollout/dist/index.js');
for (let i = 0; i < 40; i++) { const h = mkdtempSync(join(tmpdir(), 'st-')); const store = await state.openStateStore({ home: h }); await rollout.runBackfill({ store, home: '/tmp/ab/home201' }); await store.close(); rmSync(h, { recursive: true, force: true }); }
