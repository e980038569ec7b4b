// `@agent-state/memories/files`: where a home's memories are and what the memories root holds,
// without the pipeline and its model client (`agent-state doctor` reads it on every run). The
// main entry exports the same.

export { type MemoryLayout, memoriesRoot, memoryLayout } from './layout/memory-layout.js';
export { type MemoryFilesStatus, memoryFilesStatus } from './layout/memory-files-status.js';
