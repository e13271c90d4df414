/**
 * Faster cells in tslab: the module references of unchanged declaration files are reused from one
 * program to the next. Installed by the kernel preload (kernel-preload.ts, fix 8).
 *
 * tslab compiles every cell with a TypeScript watch program and its builder: two new programs a cell
 * (the cell, then the cell with its locals exported). For each program, TypeScript's
 * `BuilderState.create` recomputes the module references of every file of the program, through the
 * type checker, although only tslab's two virtual files changed: with a library built on
 * TensorFlow.js (~800 declaration files) that was ~0.13 s of CPU a program, 0.3 s a cell, even for
 * `1 + 1`. Here a declaration file whose `SourceFile` object is the one the previous program had
 * (TypeScript reuses it only when the file did not change) keeps its references, file info and exported
 * modules from the previous state; every other file (cells, local `.ts` modules, new or changed
 * declarations) is computed by TypeScript's own `create`. The result is the state TypeScript would
 * have built, checked file by file against it in test/builder-reuse.test.ts. TypeScript computes it all
 * again whenever the set of ambient modules declared in more than one file changes (their references
 * are global).
 *
 * Plain Node: no imports (it runs in the kernel before tslab, on tslab's own TypeScript).
 */

/** The parts of a TypeScript `BuilderState` (TypeScript 5.0's builderState.ts) this module reads and writes. */
interface PathMap {
  getValues(key: string): ReadonlySet<string> | undefined;
  keys(): IterableIterator<string>;
  set(key: string, values: ReadonlySet<string>): unknown;
  deleteKey(key: string): boolean;
}
interface FileInfo {
  version: string;
  signature: string | undefined;
  affectsGlobalScope: true | undefined;
  impliedFormat: unknown;
}
interface State {
  fileInfos: Map<string, FileInfo>;
  referencedMap?: PathMap;
  exportedModulesMap?: PathMap;
  oldSignatures?: Map<string, string | false>;
  oldExportedModulesMap?: Map<string, ReadonlySet<string> | false>;
}
interface SourceFile {
  resolvedPath: string;
  version: string;
  isDeclarationFile: boolean;
  impliedNodeFormat?: unknown;
}
interface Symbol {
  declarations?: { getSourceFile(): SourceFile }[];
}
interface Program {
  getSourceFiles(): readonly SourceFile[];
  getTypeChecker(): { getAmbientModules(): Symbol[] };
}
type Create = (program: Program, oldState: State | undefined, disableUseFileVersionAsSignature: boolean) => State;

/** What the reuse did so far (the tests read it). */
export interface BuilderReuseStats {
  /** Programs built, in full by TypeScript, and incrementally (unchanged declarations reused). */
  full: number;
  incremental: number;
  /** Files whose state was reused, and files computed by TypeScript, over all incremental programs. */
  reusedFiles: number;
  computedFiles: number;
}

const STATS = Symbol.for("nbconvert-ts-runner.builderReuse");

/** The reuse's counters on a TypeScript module patched by {@link reuseDeclarationReferences}, or null. */
export function builderReuseStats(ts: object): BuilderReuseStats | null {
  return ((ts as Record<symbol, BuilderReuseStats | undefined>)[STATS] ?? null);
}

/** The files that declare an ambient module declared in more than one file, as one key. */
function sharedAmbientModules(program: Program): string {
  const keys: string[] = [];
  for (const module of program.getTypeChecker().getAmbientModules()) {
    const files = module.declarations ?? [];
    if (files.length > 1) keys.push(files.map((d) => d.getSourceFile().resolvedPath).join("|"));
  }
  return keys.join("\n");
}

/**
 * Patches `ts.BuilderState.create` of the TypeScript module `ts` (tslab's TypeScript 5.0) so that a new
 * builder state reuses the previous one for unchanged declaration files. Idempotent; does nothing
 * (returns false) when `ts` has no BuilderState to patch.
 */
export function reuseDeclarationReferences(ts: object): boolean {
  const builderState = (ts as { BuilderState?: { create?: Create } }).BuilderState;
  const create = builderState?.create;
  if (!builderState || typeof create !== "function") return false;
  if (builderReuseStats(ts)) return true;
  const stats: BuilderReuseStats = { full: 0, incremental: 0, reusedFiles: 0, computedFiles: 0 };
  Object.defineProperty(ts, STATS, { value: stats });

  /** For each state built: its program's files and shared ambient modules (several watch programs may share this TypeScript). */
  const built = new WeakMap<State, { files: WeakSet<SourceFile>; shared: string }>();

  builderState.create = function (this: unknown, program: Program, oldState: State | undefined, disable: boolean): State {
    const files = program.getSourceFiles();
    const before = oldState && built.get(oldState);
    const shared = sharedAmbientModules(program);
    const remember = (state: State): State => {
      built.set(state, { files: new WeakSet(files), shared });
      return state;
    };
    const refs = oldState?.referencedMap;
    const exports = oldState?.exportedModulesMap;
    const reusable = (f: SourceFile) => f.isDeclarationFile && before!.files.has(f) && oldState!.fileInfos.has(f.resolvedPath);
    const changed = before?.shared === shared && refs && exports ? files.filter((f) => !reusable(f)) : files;
    if (!refs || !exports || changed.length === files.length) {
      stats.full++;
      return remember(create.call(this, program, oldState, disable));
    }
    // TypeScript's own create, on the changed files only (the same program otherwise).
    const fresh = create.call(this, Object.create(program, { getSourceFiles: { value: () => changed } }) as Program, oldState, disable);
    const changedPaths = new Set(changed.map((f) => f.resolvedPath));
    const fileInfos = new Map<string, FileInfo>();
    for (const f of files) {
      const file = f.resolvedPath;
      if (changedPaths.has(file)) {
        fileInfos.set(file, fresh.fileInfos.get(file)!);
        const referenced = fresh.referencedMap?.getValues(file);
        if (referenced) refs.set(file, referenced);
        else refs.deleteKey(file);
        const exported = fresh.exportedModulesMap?.getValues(file);
        if (exported) exports.set(file, exported);
        else exports.deleteKey(file);
        continue;
      }
      // As TypeScript's create does for a file of the old state.
      const old = oldState!.fileInfos.get(file)!;
      const uncommitted = oldState!.oldSignatures?.get(file);
      const signature = uncommitted === undefined ? old.signature : uncommitted || undefined;
      fileInfos.set(file, { version: f.version, signature, affectsGlobalScope: old.affectsGlobalScope, impliedFormat: f.impliedNodeFormat });
      const uncommittedExports = oldState!.oldExportedModulesMap?.get(file);
      if (uncommittedExports) exports.set(file, uncommittedExports);
      else if (uncommittedExports === false) exports.deleteKey(file);
    }
    for (const file of [...refs.keys()]) if (!fileInfos.has(file)) refs.deleteKey(file);
    for (const file of [...exports.keys()]) if (!fileInfos.has(file)) exports.deleteKey(file);
    stats.incremental++;
    stats.reusedFiles += files.length - changed.length;
    stats.computedFiles += changed.length;
    // The old state's maps, updated in place: the old state is discarded once the new one exists.
    return remember({ ...fresh, fileInfos, referencedMap: refs, exportedModulesMap: exports });
  } as Create;
  return true;
}
