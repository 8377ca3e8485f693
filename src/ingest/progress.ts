/**
 * A progress line on stderr for long submits: shown only when stderr is a
 * terminal and the work has taken more than a second, redrawn at most ten
 * times a second, erased when done. Quiet otherwise.
 */
import { stderr, stderrIsTerminal } from "../io.ts";

const encoder = new TextEncoder();
const mib = (bytes: number) => (bytes / 1048576).toFixed(0);

/** Where and when a Progress draws. */
export interface ProgressOptions {
  /** Draw at all? @default stderr is a terminal */
  enabled?: boolean;
  /** Stay quiet for the first this many ms. @default 1000 */
  delayMs?: number;
  /** Where the text goes. @default stderr */
  write?: (text: string) => void;
}

/** One progress line (see the module comment). */
export class Progress {
  readonly #enabled: boolean;
  readonly #delay: number;
  readonly #write: (text: string) => void;
  readonly #started = performance.now();
  #lastDraw = -Infinity;
  #drawn = false;

  constructor(opts: ProgressOptions = {}) {
    this.#enabled = opts.enabled ?? stderrIsTerminal();
    this.#delay = opts.delayMs ?? 1000;
    this.#write = opts.write ??
      ((text) => stderr().writeSync(encoder.encode(text)));
  }

  /** Reports `done` of `total` units of the step called `label`. */
  update(label: string, done: number, total: number, unit = ""): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#started < this.#delay || now - this.#lastDraw < 100) {
      return;
    }
    this.#lastDraw = now;
    const width = 30;
    const part = total > 0 ? Math.min(1, done / total) : 0;
    const filled = Math.round(part * width);
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const count = unit === "bytes"
      ? `${mib(done)}/${mib(total)} MiB`
      : `${done}/${total}${unit ? " " + unit : ""}`;
    const text = `${label} [${bar}] ${count}`;
    this.#write(`\r${text}\x1b[K`);
    this.#drawn = true;
  }

  /** Erases the line, if one was drawn. */
  clear(): void {
    if (this.#drawn) this.#write("\r\x1b[K");
    this.#drawn = false;
  }
}
