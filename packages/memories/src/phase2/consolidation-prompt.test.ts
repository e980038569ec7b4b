import { describe, expect, it } from 'vitest';

import { CONSOLIDATION_INSTRUCTIONS, buildConsolidationPrompt } from './consolidation-prompt.js';

describe('consolidation prompt', () => {
  it('names the inputs, the three outputs and how the run ends', () => {
    const prompt = buildConsolidationPrompt();
    for (const name of [
      'raw_memories.md',
      'rollout_summaries/',
      'MEMORY.md',
      'memory_summary.md',
      'skills/<skill-name>/SKILL.md',
    ]) {
      expect(prompt).toContain(name);
    }
    expect(prompt).not.toContain('What the memories root holds now');
    expect(CONSOLIDATION_INSTRUCTIONS).toMatch(/Never copy secrets/);
    expect(CONSOLIDATION_INSTRUCTIONS).toMatch(/no tool call\. That answer ends the run/);
    for (const tool of ['list_files', 'read_file', 'write_file', 'delete_file']) {
      expect(CONSOLIDATION_INSTRUCTIONS).toContain(tool);
    }
  });

  it('appends the current listing of the root when given', () => {
    const prompt = buildConsolidationPrompt({ listing: 'raw_memories.md (10 bytes)\n' });
    expect(prompt.endsWith('```\nraw_memories.md (10 bytes)\n```')).toBe(true);
    expect(buildConsolidationPrompt({ listing: '  ' })).toBe(buildConsolidationPrompt());
  });
});
