/**
 * A live training display: a progress bar (epoch i/N, batch, elapsed, ETA, last metrics) and the
 * learning curves, updated in place in the notebook (display_data once, then update_display_data
 * with the same display id), throttled so a fast loop does not flood the kernel. Outside a kernel
 * it prints a few text lines instead. Lectures 000 and 003 (ANN principles, learning curves; training).
 */
import { randomBytes } from "crypto";
import { displayBundle, inKernel } from "../runtime/tslab";
import { escapeHtml, showFigure } from "./display";
import { learningCurves, type History } from "./charts";

/** Options of `LiveTraining`. Notebooks 02 and 05 (lecture 003, learning curves). */
export interface LiveOptions {
  /** Number of epochs planned (for "epoch i/N" and the ETA). */
  epochs: number;
  /** Stable figure name of the final learning curves (for the figure export). */
  name?: string;
  /** Title of the learning-curve figure. */
  title?: string;
  /** Minimum time between two progress updates, ms (default 250). */
  progressEveryMs?: number;
  /** Minimum time between two redraws of the curves, ms (default 1000). */
  plotEveryMs?: number;
  /** Clock in ms (default Date.now; tests pass a fake one). */
  now?: () => number;
}

/** At most this many points of the within-epoch loss per epoch (keeps live updates small). */
const POINTS_PER_EPOCH = 50;

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function formatMetrics(logs: Record<string, number>): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k} ${Number.isFinite(v) ? v.toPrecision(4) : String(v)}`)
    .join(" · ");
}

/**
 * Live progress and learning curves of a training loop: call `batch` after each mini-batch,
 * `epoch` after each epoch with its metrics, and `done` at the end (it always draws the final
 * state). `history` holds every metric per epoch. Lecture 003 (learning curves).
 */
export class LiveTraining {
  /** Metric name → one value per finished epoch (Keras-style history). */
  readonly history: Record<string, number[]> = {};
  private readonly options: Required<Omit<LiveOptions, "name" | "title">> & Pick<LiveOptions, "name" | "title">;
  private readonly kernel: boolean;
  private readonly progressId = `reti-progress-${randomBytes(6).toString("hex")}`;
  private readonly curveId = `reti-curve-${randomBytes(6).toString("hex")}`;
  private readonly start: number;
  private epochsDone = 0;
  private position = { epoch: 0, batch: 0, batches: 0 };
  private lastLogs: Record<string, number> = {};
  private progressShown = false;
  private curveShown = false;
  private lastProgress = -Infinity;
  private lastPlot = -Infinity;
  private curveStale = false;
  private textEvery: number;
  /** Mean training loss over groups of mini-batches (≤ POINTS_PER_EPOCH per epoch), x in epochs. */
  private readonly batchLoss = { x: [] as number[], y: [] as number[] };
  private bucket = { sum: 0, count: 0 };

  constructor(options: LiveOptions) {
    if (!(Number.isInteger(options.epochs) && options.epochs >= 1)) {
      throw new Error(`LiveTraining: epochs must be a positive integer, got ${options.epochs}`);
    }
    this.options = { progressEveryMs: 250, plotEveryMs: 1000, now: Date.now, ...options };
    this.kernel = inKernel();
    this.start = this.options.now();
    this.textEvery = Math.max(1, Math.ceil(options.epochs / 10));
    if (this.kernel) this.drawProgress();
  }

  /**
   * Records that mini-batch `batch` (0-based) of `batches` in epoch `epoch` (0-based) is done, with
   * its metrics if known: the loss is plotted within the epoch too (averaged over groups of batches).
   */
  batch(epoch: number, batch: number, batches: number, logs: Record<string, number> = {}): void {
    this.position = { epoch, batch: batch + 1, batches };
    const loss = logs["loss"];
    if (loss !== undefined && Number.isFinite(loss)) {
      this.bucket = { sum: this.bucket.sum + loss, count: this.bucket.count + 1 };
      if (this.bucket.count >= Math.ceil(batches / POINTS_PER_EPOCH) || batch + 1 === batches) {
        this.batchLoss.x.push(epoch + (batch + 1) / batches);
        this.batchLoss.y.push(this.bucket.sum / this.bucket.count);
        this.bucket = { sum: 0, count: 0 };
        this.curveStale = true;
      }
    }
    if (!this.kernel) return;
    const now = this.options.now();
    if (now - this.lastProgress >= this.options.progressEveryMs) this.drawProgress();
    if (this.curveStale && now - this.lastPlot >= this.options.plotEveryMs) this.drawCurve();
  }

  /** Records the metrics of finished epoch `epoch` (0-based), e.g. { loss, acc, val_loss, val_acc }. */
  epoch(epoch: number, logs: Record<string, number>): void {
    const n = Object.values(this.history)[0]?.length ?? 0;
    for (const [k, v] of Object.entries(logs)) {
      const series = (this.history[k] ??= new Array<number>(n).fill(NaN));
      series.push(v);
    }
    for (const series of Object.values(this.history)) if (series.length === n) series.push(NaN);
    this.epochsDone = epoch + 1;
    this.position = { ...this.position, epoch: epoch + 1, batch: 0 };
    this.lastLogs = logs;
    this.curveStale = true;
    if (!this.kernel) {
      if (this.epochsDone % this.textEvery === 0 || this.epochsDone === this.options.epochs) console.log(this.progressText());
      return;
    }
    const now = this.options.now();
    if (now - this.lastProgress >= this.options.progressEveryMs) this.drawProgress();
    if (now - this.lastPlot >= this.options.plotEveryMs) this.drawCurve();
  }

  /** Draws the final progress and curves (whatever the throttle says). */
  done(): void {
    if (!this.kernel) {
      console.log(`done: ${this.epochsDone} epochs in ${formatSeconds(this.options.now() - this.start)}`);
      return;
    }
    this.drawProgress(true);
    if (this.curveStale || !this.curveShown) this.drawCurve();
  }

  /** The one-line progress report shown under the bar and printed outside a kernel. */
  progressText(finished = false): string {
    const elapsed = this.options.now() - this.start;
    const { epochs } = this.options;
    const { epoch, batch, batches } = this.position;
    const fraction = Math.min(1, (epoch + (batches > 0 ? batch / batches : 0)) / epochs);
    const eta = fraction > 0 && !finished ? ` · ETA ${formatSeconds((elapsed * (1 - fraction)) / fraction)}` : "";
    const where = finished ? `done: ${this.epochsDone} epochs` : `epoch ${Math.min(epoch + (batch > 0 ? 1 : 0), epochs) || 1}/${epochs}`;
    const inEpoch = !finished && batch > 0 ? ` · batch ${batch}/${batches}` : "";
    const metrics = Object.keys(this.lastLogs).length > 0 ? ` · ${formatMetrics(this.lastLogs)}` : "";
    return `${where}${inEpoch} · ${formatSeconds(elapsed)}${eta}${metrics}`;
  }

  private drawProgress(finished = false): void {
    const { epochs } = this.options;
    const { epoch, batch, batches } = this.position;
    const fraction = finished ? 1 : Math.min(1, (epoch + (batches > 0 ? batch / batches : 0)) / epochs);
    const text = this.progressText(finished);
    const html =
      `<div class="reti-progress" style="font-family:monospace;font-size:13px">` +
      `<progress value="${fraction.toFixed(4)}" max="1" style="width:320px;vertical-align:middle"></progress> ` +
      `${escapeHtml(text)}</div>`;
    displayBundle(
      { data: { "text/html": html, "text/plain": text }, metadata: {}, transient: { display_id: this.progressId } },
      this.progressShown,
    );
    this.progressShown = true;
    this.lastProgress = this.options.now();
  }

  private drawCurve(): void {
    const hasBatches = this.batchLoss.x.length > 0;
    if (!hasBatches && this.history["loss"] === undefined) return;
    const fig = learningCurves({ loss: [], ...this.history } as History, {
      name: this.options.name,
      title: this.options.title,
      ...(hasBatches ? { batchLoss: this.batchLoss } : {}),
    });
    showFigure(fig, { displayId: this.curveId, update: this.curveShown });
    this.curveShown = true;
    this.curveStale = false;
    this.lastPlot = this.options.now();
  }
}
