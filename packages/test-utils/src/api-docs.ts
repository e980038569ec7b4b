import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';

import type * as TypeScript from 'typescript';

const require = createRequire(import.meta.url);

/**
 * The public exports of a package, and the public members of its exported classes, whose JSDoc
 * has no `@example` (or that have no JSDoc at all), as sorted names: `openStateStore`,
 * `StateStore.close`. Design §11 asks for JSDoc with examples on every public export; a package
 * asserts this list is empty in its `public-api.test.ts`.
 *
 * The entry (a package's `src/index.ts`) is loaded with the TypeScript compiler and the nearest
 * `tsconfig.json` above it. Re-exports are followed to their declarations. An export passes when
 * one of its declarations (a `const` and a `type` of the same name, overloads) carries a
 * non-empty `@example`. Class members checked: constructors, methods, getters and setters
 * declared on the class itself, except `#private`, `private`, `protected` and `@internal` ones.
 * Properties and interface members are not checked.
 *
 * @example
 * ```ts
 * import { fileURLToPath } from 'node:url';
 *
 * it('documents every export with an example', () => {
 *   const entry = fileURLToPath(new URL('./index.ts', import.meta.url));
 *   expect(findUndocumentedExports(entry)).toEqual([]);
 * });
 * ```
 */
export function findUndocumentedExports(entryFile: string): string[] {
  const { ts, checker, exports } = exportsOf(entryFile);
  const missing = new Set<string>();
  for (const exported of exports) {
    const name = exported.getName();
    const symbol =
      exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const declarations = symbol.declarations ?? [];
    if (!declarations.some((declaration) => hasExample(ts, declaration))) missing.add(name);
    for (const declaration of declarations) {
      if (!ts.isClassDeclaration(declaration)) continue;
      for (const member of undocumentedMembers(ts, declaration)) missing.add(`${name}.${member}`);
    }
  }
  return [...missing].sort();
}

/**
 * The names a package's entry exports (values and types alike), sorted: what its users can import.
 * Each package pins this list in its `public-api.test.ts` (with `toMatchFileSnapshot`), so that a
 * change of the public API is a reviewed change of that file, never an accident.
 *
 * @example
 * ```ts
 * it('exports what it exports on purpose', async () => {
 *   const entry = fileURLToPath(new URL('./index.ts', import.meta.url));
 *   await expect(listPublicExports(entry).join('\n')).toMatchFileSnapshot('./public-api.exports.txt');
 * });
 * ```
 */
export function listPublicExports(entryFile: string): string[] {
  return exportsOf(entryFile)
    .exports.map((symbol) => symbol.getName())
    .sort();
}

/** The symbols `entryFile` exports, with the compiler and type checker that found them. */
function exportsOf(entryFile: string): {
  ts: typeof TypeScript;
  checker: TypeScript.TypeChecker;
  exports: TypeScript.Symbol[];
} {
  const ts = loadTypeScript();
  const entry = resolve(entryFile);
  const program = createProgram(ts, entry);
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  if (!source) throw new Error(`${entry}: not found, or not part of its TypeScript program`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${entry}: not a module (it exports nothing)`);
  return { ts, checker, exports: checker.getExportsOfModule(moduleSymbol) };
}

/**
 * The compiler, loaded on first use: every test file and worker process imports this package,
 * and only the public API tests need the (large) compiler.
 */
function loadTypeScript(): typeof TypeScript {
  return require('typescript') as typeof TypeScript;
}

function createProgram(ts: typeof TypeScript, entry: string): TypeScript.Program {
  const configPath = ts.findConfigFile(dirname(entry), (path) => ts.sys.fileExists(path));
  if (!configPath) throw new Error(`${entry}: no tsconfig.json in its directory or above`);
  const configHost: TypeScript.ParseConfigFileHost = {
    useCaseSensitiveFileNames: ts.sys.useCaseSensitiveFileNames,
    getCurrentDirectory: () => ts.sys.getCurrentDirectory(),
    fileExists: (path) => ts.sys.fileExists(path),
    readFile: (path) => ts.sys.readFile(path),
    readDirectory: (...args) => ts.sys.readDirectory(...args),
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(`${configPath}: ${formatDiagnostic(ts, diagnostic)}`);
    },
  };
  const config = ts.getParsedCommandLineOfConfigFile(configPath, { noEmit: true }, configHost);
  if (!config) throw new Error(`${configPath}: cannot be read`);
  // Only the entry is a root (its imports follow), so a config whose `include` misses it is fine.
  const NO_INPUTS_FOUND = 18003;
  const errors = config.errors.filter((diagnostic) => diagnostic.code !== NO_INPUTS_FOUND);
  if (errors.length > 0) {
    throw new Error(`${configPath}: ${errors.map((d) => formatDiagnostic(ts, d)).join('; ')}`);
  }
  const host = ts.createCompilerHost(config.options, true);
  // Keep every JSDoc comment: the compiler may skip the ones that do not matter for type errors.
  host.jsDocParsingMode = ts.JSDocParsingMode.ParseAll;
  return ts.createProgram({
    rootNames: [entry],
    options: config.options,
    projectReferences: config.projectReferences,
    host,
  });
}

/** Names of the public members of `declaration` that lack an example (`constructor` included). */
function undocumentedMembers(
  ts: typeof TypeScript,
  declaration: TypeScript.ClassDeclaration,
): string[] {
  // Overloads and get/set pairs share a name: one example among them documents the member.
  const byName = new Map<string, TypeScript.ClassElement[]>();
  for (const member of declaration.members) {
    const name = publicMemberName(ts, member);
    if (name === undefined) continue;
    byName.set(name, [...(byName.get(name) ?? []), member]);
  }
  return [...byName]
    .filter(([, members]) => !members.some((member) => hasExample(ts, member)))
    .map(([name]) => name);
}

/** The name of a member that is part of the public API, or `undefined` for any other member. */
function publicMemberName(
  ts: typeof TypeScript,
  member: TypeScript.ClassElement,
): string | undefined {
  const checked =
    ts.isConstructorDeclaration(member) ||
    ts.isMethodDeclaration(member) ||
    ts.isGetAccessorDeclaration(member) ||
    ts.isSetAccessorDeclaration(member);
  if (!checked) return undefined;
  if (member.name !== undefined && ts.isPrivateIdentifier(member.name)) return undefined;
  const hidden = ts.ModifierFlags.Private | ts.ModifierFlags.Protected;
  if (ts.getCombinedModifierFlags(member) & hidden) return undefined;
  if (ts.getJSDocTags(member).some((tag) => tag.tagName.text === 'internal')) return undefined;
  if (ts.isConstructorDeclaration(member)) return 'constructor';
  const name = member.name;
  return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name)
    ? name.text
    : name.getText();
}

/** True when the JSDoc of `node` (for a variable: of its statement) has a non-empty `@example`. */
function hasExample(ts: typeof TypeScript, node: TypeScript.Node): boolean {
  return ts
    .getJSDocTags(node)
    .some(
      (tag) =>
        tag.tagName.text === 'example' &&
        (ts.getTextOfJSDocComment(tag.comment) ?? '').trim() !== '',
    );
}

function formatDiagnostic(ts: typeof TypeScript, diagnostic: TypeScript.Diagnostic): string {
  return ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
}
