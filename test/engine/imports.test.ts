/**
 * The structure drawn from the imports. Inside the engine no two folders import each other, even
 * through other files (config/ and policy/ once did), and the engine imports nothing of ours from
 * outside it. Between the top-level folders the arrows point one way, as CONTRIBUTING.md draws
 * them. The imports are read with TypeScript's own scanner, so `export … from` and `import()`
 * count too.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE_FOLDERS = ['action', 'bot', 'chatops', 'cli', 'engine', 'github', 'sandbox'];

/** Every TypeScript file under `folder`, relative to the repository, with `/` separators. */
function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)).split(sep).join('/'));
}

/** The files of ours that `file` imports, relative to the repository (`x.js` in an import is `x.ts`). */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => relative(ROOT, resolve(ROOT, dirname(file), spec.replace(/\.js$/, '.ts'))))
    .map((target) => target.split(sep).join('/'));
}

type Graph = Map<string, Set<string>>;

/** The import graph with each file replaced by `nodeOf(file)`; arrows inside one node are dropped. */
function graphOf(files: string[], nodeOf: (file: string) => string): Graph {
  const graph: Graph = new Map();
  for (const file of files) {
    const from = nodeOf(file);
    if (!graph.has(from)) graph.set(from, new Set());
    for (const target of importsOf(file)) {
      const to = nodeOf(target);
      if (to !== from) graph.get(from)!.add(to);
    }
  }
  return graph;
}

/** The loops of a graph: its strongly connected components with more than one node (Tarjan). */
function loops(graph: Graph): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (stack.includes(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) found.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** A file in a folder of the engine stands for that folder; a file at the engine's top, for itself. */
const engineNode = (file: string) => {
  const parts = file.split('/');
  return parts.length > 2 ? `${parts[0]}/${parts[1]}/` : file;
};

const topFolder = (file: string) => file.split('/')[0]!;

describe('the structure drawn from the imports', () => {
  it('finds a loop between two folders even when it runs through a third file', () => {
    const graph: Graph = new Map([
      ['engine/config/', new Set(['engine/suggest.ts'])],
      ['engine/suggest.ts', new Set(['engine/policy/'])],
      ['engine/policy/', new Set(['engine/config/'])],
      ['engine/api7/', new Set(['engine/config/'])],
    ]);
    expect(loops(graph)).toEqual([['engine/config/', 'engine/policy/', 'engine/suggest.ts']]);
  });

  it('has no loop between the folders of the engine', () => {
    const files = sourceFiles('engine');
    const graph = graphOf(files, engineNode);
    expect(graph.get('engine/plan.ts')).toContain('engine/model.ts');
    expect(loops(graph)).toEqual([]);
  });

  it('keeps the engine free of imports from the rest of the repository', () => {
    const outward = sourceFiles('engine').flatMap((file) =>
      importsOf(file)
        .filter((target) => !target.startsWith('engine/'))
        .map((target) => `${file} -> ${target}`),
    );
    expect(outward).toEqual([]);
  });

  it('draws only the arrows CONTRIBUTING.md allows between the top-level folders', () => {
    // The doors may use everything below them; the CLI also starts the bot and the sandbox.
    const allowed: Record<string, string[]> = {
      action: ['chatops', 'github', 'engine'],
      bot: ['chatops', 'github', 'engine'],
      cli: ['bot', 'sandbox', 'chatops', 'github', 'engine'],
      chatops: ['github', 'engine'],
      github: ['engine'],
      engine: [],
      sandbox: [],
    };
    const graph = graphOf(SOURCE_FOLDERS.flatMap(sourceFiles), topFolder);
    const against = [...graph].flatMap(([from, targets]) =>
      [...targets].filter((to) => !allowed[from]?.includes(to)).map((to) => `${from} -> ${to}`),
    );
    expect(graph.get('cli')?.has('engine')).toBe(true);
    expect(against).toEqual([]);
    expect(loops(graph)).toEqual([]);
  });
});
