// Writes the JSON Schema and TypeScript declaration artifacts under `schema/` from the zod schemas
// (the logic is `src/artifacts/generate.ts`; `src/artifacts/artifacts.test.ts` keeps them in sync).
// Only changed files are rewritten, and files the generator no longer produces are deleted.
//
//   pnpm --filter @agent-state/sandbox-policy generate

import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

import { generateArtifacts } from '../src/artifacts/generate.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const schemaDir = join(packageDir, 'schema');

function listFiles(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((entry) =>
    entry.isDirectory() ? listFiles(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

const files = await generateArtifacts();
let written = 0;
let removed = 0;

for (const file of listFiles(schemaDir)) {
  const relativePath = relative(packageDir, file).split(sep).join('/');
  if (!files.has(relativePath)) {
    rmSync(file);
    removed += 1;
  }
}
for (const [relativePath, content] of files) {
  const file = join(packageDir, relativePath);
  if (readIfExists(file) === content) continue;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
  written += 1;
}

console.log(
  `schema artifacts: ${files.size} files, ${written} written, ${removed} removed (${relative(process.cwd(), schemaDir) || '.'})`,
);
