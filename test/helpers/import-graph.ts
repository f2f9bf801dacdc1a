/**
 * The import graph of src/, read with a small scanner of our own (no dependency): every static
 * `import … from '…'`, `export … from '…'`, side-effect `import '…'` and dynamic `import('…')` whose
 * specifier is relative. Type-only imports count: they tie the layers together as much as values do.
 *
 * The scanner reads statements that start a line, so examples inside comments (` * import …`) are
 * not taken for imports. Bare specifiers (packages, node:) are not part of the graph.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

export interface SourceFile {
  /** Path relative to the repository root, with forward slashes (e.g. `src/data/load.ts`). */
  path: string;
  lines: number;
  /** Resolved relative imports, as repository paths, in order of appearance, without repeats. */
  imports: string[];
}

const STATIC = /^[ \t]*(?:import|export)\b[^;'"`]*?\bfrom\s*['"]([^'"]+)['"]/gm;
const SIDE_EFFECT = /^[ \t]*import\s*['"]([^'"]+)['"]/gm;
const DYNAMIC = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The module specifiers a TypeScript source imports or re-exports. */
export function importSpecifiers(text: string): string[] {
  const out: string[] = [];
  for (const re of [STATIC, SIDE_EFFECT, DYNAMIC]) for (const m of text.matchAll(re)) out.push(m[1]);
  return out;
}

/** Lines as `wc -l` counts them plus a last line without a newline. */
export function lineCount(text: string): number {
  if (text.length === 0) return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const toPosix = (p: string) => p.split(sep).join('/');

/**
 * Every .ts file under `root`/src with its resolved relative imports. An import `./x.js` resolves to
 * `x.ts` (ESM style), `./x` to `x.ts` or `x/index.ts`; one that resolves to no file in the set is
 * kept as written (joined to the importer's folder), so it still shows up in the layer check.
 */
export function scanSources(root: string, srcDir = 'src'): SourceFile[] {
  const paths = tsFiles(join(root, srcDir))
    .map((p) => toPosix(relative(root, p)))
    .sort();
  const known = new Set(paths);
  const resolve = (from: string, spec: string): string => {
    const base = posix.normalize(posix.join(posix.dirname(from), spec));
    const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, `${base}/index.ts`, base];
    return candidates.find((c) => known.has(c)) ?? base;
  };
  return paths.map((path) => {
    const text = readFileSync(join(root, path), 'utf8');
    const imports = [
      ...new Set(
        importSpecifiers(text)
          .filter((s) => s.startsWith('./') || s.startsWith('../'))
          .map((s) => resolve(path, s)),
      ),
    ];
    return { path, lines: lineCount(text), imports };
  });
}

/**
 * Import cycles, one per back edge met by a depth-first walk in sorted order (the way madge
 * reports them), each as the list of files around it starting from its smallest path, so the
 * same cycle is always spelled the same way.
 */
export function findCycles(files: readonly SourceFile[]): string[][] {
  const graph = new Map(files.map((f) => [f.path, f.imports.filter((i) => i !== f.path)]));
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const seen = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    state.set(node, 'active');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      const s = state.get(next);
      if (s === 'active') {
        const cycle = stack.slice(stack.indexOf(next));
        const start = cycle.indexOf([...cycle].sort()[0]);
        const canonical = [...cycle.slice(start), ...cycle.slice(0, start)];
        const key = canonical.join(' -> ');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(canonical);
        }
      } else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(node, 'done');
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
  return cycles;
}

/** `a -> b -> a`: a cycle as one line, closed back to its start. */
export function formatCycle(cycle: readonly string[]): string {
  return [...cycle, cycle[0]].join(' -> ');
}

/** The folder a source file belongs to (`src/data/load.ts` → `data`); '' for files directly in src/. */
export function folderOf(path: string, srcDir = 'src'): string {
  const rest = path.slice(srcDir.length + 1);
  return rest.includes('/') ? rest.slice(0, rest.indexOf('/')) : '';
}
