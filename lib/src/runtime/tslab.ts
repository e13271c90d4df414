/**
 * The only code that reaches into tslab's internals: its `lastWriteDisplayData` (in
 * `tslab/dist/jupyter.js`), which sends a whole MIME bundle as one output, where tslab's public
 * `display` API sends one MIME type per output. test/display.test.ts fails if that internal changes.
 * Every notebook ('s figures and live displays).
 */
import { createRequire } from "module";

/** One Jupyter output: MIME type → content, output metadata, and an optional display id. Every notebook (display). */
export interface DisplayBundle {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient?: { display_id?: string };
}

type WriteDisplayData = (bundle: DisplayBundle, update: boolean) => void;

const nodeRequire: NodeRequire = typeof require === "function" ? require : createRequire(`${process.cwd()}/`);
const TSLAB_JUPYTER = /[\\/]tslab[\\/]dist[\\/]jupyter\.js$/;

/**
 * The running tslab kernel's `lastWriteDisplayData`, or null outside a kernel. The kernel has loaded
 * `tslab/dist/jupyter.js` and set the function for the cell being executed; we find that module in
 * node's module cache (the same instance whichever tslab copy started the kernel).
 */
function kernelWriter(): WriteDisplayData | null {
  for (const [file, mod] of Object.entries(nodeRequire.cache)) {
    if (!TSLAB_JUPYTER.test(file)) continue;
    const write = (mod?.exports as { lastWriteDisplayData?: unknown } | undefined)?.lastWriteDisplayData;
    if (typeof write === "function") return write as WriteDisplayData;
  }
  return null;
}

/** True inside a running tslab kernel cell (rich output goes to the notebook). Every notebook (display). */
export function inKernel(): boolean {
  return kernelWriter() !== null;
}

/**
 * Sends one output bundle: to the notebook inside a kernel (as update_display_data when `update`
 * and the bundle has a display id), else prints its text/plain to stdout. Every notebook (display).
 */
export function displayBundle(bundle: DisplayBundle, update = false): void {
  const write = kernelWriter();
  if (write !== null) {
    write(bundle, update);
    return;
  }
  const text = bundle.data["text/plain"];
  console.log(typeof text === "string" ? text : `[output: ${Object.keys(bundle.data).join(", ")}]`);
}

