import { generateCorpus } from '@agent-state/test-utils';
const home = process.argv[2]!;
const c = generateCorpus({
  home,
  count: 10_000,
  seed: 7,
  mediumShare: 0.08,
  largeShare: 0.02,
  smallBytes: { min: 10_000, max: 60_000 },
  growth: (process.argv[3] as 'tool-calls') ?? undefined,
});
console.log(c.totalBytes);
