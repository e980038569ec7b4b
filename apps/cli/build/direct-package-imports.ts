// An esbuild plugin for the executable's bundle: `import { x } from '@agent-state/state'` in the
// sources it bundles becomes an import of the one source module of the package that defines `x`.
//
// Why: with code splitting, esbuild assigns whole modules to chunks by which entry points reach
// them, following every import of a module (used or not). A package's index re-exports all of the
// package, so one small import of it (an error class, the home's path) made every module of the
// package, and kysely and zod behind them, part of the start-up chunk of every command. Importing
// the defining module instead lets each command's chunk hold what that command uses. The packages'
// indexes only re-export (`export { … } from './module.js'`), which is what this reads.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import type { Options } from 'tsup';

type EsbuildPlugin = NonNullable<Options['esbuildPlugins']>[number];

/** Where an export of a package's index comes from: its module and its name there. */
interface ExportSource {
  file: string;
  name: string;
}

/** `import { a, b as c, type T } from '@agent-state/x';` (also over several lines). */
const PACKAGE_IMPORT = /^import\s+(type\s+)?\{([^}]*)\}\s*from\s*'(@agent-state\/[a-z-]+)';/gm;
/**
 * `export { a, b as c, type T } from './module.js';` in a package's index (or from another of
 * the packages: `from '@agent-state/errors'`).
 */
const INDEX_EXPORT = /^export\s+(type\s+)?\{([^}]*)\}\s*from\s*'([^']+)';/gm;

/** `a`, `a as b`, `type T` → [name, alias], or undefined for a type. */
function specifiers(list: string): Array<[name: string, alias: string]> {
  return list
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !part.startsWith('type '))
    .map((part) => {
      const [name = part, alias = name] = part.split(/\s+as\s+/);
      return [name, alias];
    });
}

/**
 * The plugin: bundles each package `@agent-state/<name>` that has a `<packagesDir>/<name>/src/
 * index.ts` from its sources, with each import of it rewritten to import its modules directly
 * (a name not found in the index stays an import of the index).
 *
 * @example
 * ```ts
 * esbuildPlugins: [directPackageImports({ packagesDir: '../../packages' })],
 * ```
 */
export function directPackageImports(options: { packagesDir: string }): EsbuildPlugin {
  const indexFile = (name: string): string => resolve(options.packagesDir, name, 'src/index.ts');
  const isPackage = (name: string): boolean => existsSync(indexFile(name));
  const indexes = new Map<string, Map<string, ExportSource>>();
  /** The value exports of a package's `src/index.ts`, by exported name. */
  const exportsOf = (name: string): Map<string, ExportSource> => {
    const known = indexes.get(name);
    if (known) return known;
    const exports = new Map<string, ExportSource>();
    indexes.set(name, exports);
    const index = indexFile(name);
    for (const [, typeOnly, list = '', from = ''] of readFileSync(index, 'utf8').matchAll(
      INDEX_EXPORT,
    )) {
      if (typeOnly !== undefined) continue;
      const other = from.startsWith('@agent-state/') ? from.slice('@agent-state/'.length) : '';
      const file = resolve(dirname(index), from.replace(/\.js$/, '.ts'));
      for (const [imported, alias] of specifiers(list)) {
        // Re-exported from another of the packages: where that one defines it.
        const source = isPackage(other)
          ? exportsOf(other).get(imported)
          : existsSync(file)
            ? { file, name: imported }
            : undefined;
        if (source) exports.set(alias, source);
      }
    }
    return exports;
  };

  const rewrite = (source: string): string =>
    source.replace(PACKAGE_IMPORT, (statement, typeOnly, list: string, specifier: string) => {
      const name = specifier.slice('@agent-state/'.length);
      if (typeOnly !== undefined || !isPackage(name)) return statement;
      const byFile = new Map<string, string[]>();
      for (const [imported, alias] of specifiers(list)) {
        const source = exportsOf(name).get(imported);
        const from = source?.file ?? specifier;
        const local = source?.name ?? imported;
        const names = byFile.get(from) ?? [];
        names.push(local === alias ? local : `${local} as ${alias}`);
        byFile.set(from, names);
      }
      const imports = [...byFile].map(
        ([from, names]) => `import { ${names.join(', ')} } from ${JSON.stringify(from)};`,
      );
      // As many lines as the statement replaced, so the source maps stay right.
      return imports.join(' ') + '\n'.repeat(statement.split('\n').length - 1);
    });

  return {
    name: 'direct-package-imports',
    setup(build) {
      build.onResolve({ filter: /^@agent-state\/[a-z-]+$/ }, (args) => {
        const name = args.path.slice('@agent-state/'.length);
        return isPackage(name) ? { path: indexFile(name) } : undefined;
      });
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${join('node_modules', '')}`)) return undefined;
        return { contents: rewrite(readFileSync(args.path, 'utf8')), loader: 'ts' };
      });
    },
  };
}
