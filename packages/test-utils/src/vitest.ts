// Test helpers that register vitest hooks, kept out of the main entry (which benches and scripts
// import outside vitest). Import them from `@agent-state/test-utils/vitest`.
export { useTestPostgres } from './postgres/use-test-postgres.js';
