/**
 * A warm kernel pool: kernels started ahead of the notebooks that will use them, so a notebook does
 * not wait for its kernel's start (1–1.5 s of tslab loading TypeScript and checking an empty program).
 * Kernels are matched by their start options (working directory, environment, node options), since
 * a started kernel cannot change them.
 *
 *   const pool = new KernelPool();
 *   pool.prewarm(kernelOptions({ path: next }));              // while the current notebook runs
 *   await executeNotebook(nb, { path, kernel: () => pool.take(kernelOptions({ path })) });
 *   await pool.close();                                       // kills the kernels nobody took
 */
import * as path from "node:path";
import { Kernel, type KernelOptions } from "./kernel";

function keyOf(options: KernelOptions): string {
  return JSON.stringify([
    path.resolve(options.cwd ?? process.cwd()),
    options.env ?? {},
    options.maxOldSpaceMb ?? null,
    options.nodeArgs ?? [],
    options.tslabDir ?? null,
  ]);
}

export class KernelPool {
  private readonly waiting = new Map<string, Promise<Kernel>[]>();
  private closed = false;

  /** `size`: at most this many kernels started ahead and not yet taken. */
  constructor(readonly size = 1) {}

  /** How many kernels are started ahead and not taken. */
  get idle(): number {
    let n = 0;
    for (const list of this.waiting.values()) n += list.length;
    return n;
  }

  /** Starts a kernel with these options in the background, unless `size` kernels are already waiting. */
  prewarm(options: KernelOptions): void {
    if (this.closed || this.idle >= this.size) return;
    const key = keyOf(options);
    const started = Kernel.start(options);
    started.catch(() => undefined); // a failed start is reported by the `take` that gets it
    this.waiting.set(key, [...(this.waiting.get(key) ?? []), started]);
  }

  /**
   * A kernel with these options: one started ahead (ready, or still starting) when there is one,
   * else a new one. A kernel started ahead that failed or died is replaced by a new start.
   */
  async take(options: KernelOptions): Promise<Kernel> {
    const key = keyOf(options);
    const list = this.waiting.get(key) ?? [];
    const ahead = list.shift();
    if (list.length === 0) this.waiting.delete(key);
    if (ahead) {
      const kernel = await ahead.catch(() => null);
      if (kernel && !kernel.exitInfo) return kernel;
    }
    return Kernel.start(options);
  }

  /** Kills every kernel started ahead that nobody took; later prewarm calls do nothing. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.waiting.values()].flat();
    this.waiting.clear();
    await Promise.all(all.map(async (p) => (await p.catch(() => null))?.kill()));
  }
}
