/**
 * A progress line on stderr for long submits: shown only when stderr is a
 * terminal and the work has taken more than a second, redrawn at most ten
 * times a second, erased when done. Quiet otherwise.
 */
const encoder = new TextEncoder();

/** One progress line (see the module comment). */
export class Progress {
  readonly #enabled: boolean;
  readonly #started = performance.now();
  #lastDraw = 0;
  #drawn = false;

  constructor(enabled = Deno.stderr.isTerminal()) {
    this.#enabled = enabled;
  }

  /** Reports `done` of `total` units of the step called `label`. */
  update(label: string, done: number, total: number): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#started < 1000 || now - this.#lastDraw < 100) return;
    this.#lastDraw = now;
    const width = 30;
    const part = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(part * width);
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const text = `${label} [${bar}] ${done}/${total}`;
    Deno.stderr.writeSync(encoder.encode(`\r${text}\x1b[K`));
    this.#drawn = true;
  }

  /** Erases the line, if one was drawn. */
  clear(): void {
    if (this.#drawn) Deno.stderr.writeSync(encoder.encode("\r\x1b[K"));
    this.#drawn = false;
  }
}
