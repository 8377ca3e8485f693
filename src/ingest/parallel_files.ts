/**
 * Reading many small files with Workers (file_reader_worker.ts) while the
 * caller parses: files come back in the order asked, whole, or as `null`
 * for one the caller must read itself (big, not regular, unreadable: the
 * ordinary path then says why). If Workers cannot be had, every file is
 * `null` and the caller reads them all, as before.
 */
import {
  type ReadReply,
  type ReadRequest,
  workerUrl,
} from "./file_reader_worker.ts";

/** Files per message: big enough to amortize a message, small enough to overlap. */
const BATCH = 256;
/** Batches asked ahead of the one being parsed, per worker. */
const AHEAD = 2;

/** Fewest files for which workers pay off (a worker costs ~30 ms to start). */
export const PARALLEL_MIN_FILES = 2000;

/**
 * How many workers: two at most. One already keeps up with the parse on
 * the main thread, which is then the limit (100,000 files: 1.05 s with
 * one or two workers, 1.35 s without, on 2 cores).
 */
function workerCount(): number {
  const cores = navigator.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(2, cores));
}

/**
 * Calls `fn(index, bytes)` for every file `dir + names[index]` in order
 * (`dir` ends in "/"); `bytes` is null when the caller must read that file
 * itself.
 */
export async function forEachFileParallel(
  dir: string,
  names: readonly string[],
  listed: (i: number) => boolean,
  fn: (i: number, bytes: Uint8Array | null) => void,
): Promise<void> {
  const workers: Worker[] = [];
  try {
    const url = workerUrl();
    for (let w = 0; w < workerCount(); w++) {
      workers.push(new Worker(url, { type: "module" }));
    }
  } catch {
    for (const w of workers) w.terminate();
    for (let i = 0; i < names.length; i++) fn(i, null);
    return;
  }
  const batches = Math.ceil(names.length / BATCH);
  const pending = new Map<number, (r: ReadReply | Error) => void>();
  // A worker that failed leaves its batches to the caller, and no more
  // are asked of any worker (none may wait for an answer never coming).
  let broken: Error | undefined;
  const results = new Map<number, Promise<ReadReply | Error>>();
  for (const w of workers) {
    w.onmessage = (e: MessageEvent<ReadReply>) => {
      pending.get(e.data.id)?.(e.data);
      pending.delete(e.data.id);
    };
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      broken = new Error(e.message);
      for (const settle of pending.values()) settle(broken);
      pending.clear();
    };
  }
  const ask = (b: number) => {
    const from = b * BATCH;
    const to = Math.min(names.length, from + BATCH);
    const req: ReadRequest = {
      id: b,
      dir,
      names: names.slice(from, to).join("\0"),
      listed: Uint8Array.from(
        { length: to - from },
        (_, k) => listed(from + k) ? 1 : 0,
      ),
    };
    results.set(
      b,
      new Promise((resolve) => {
        if (broken) return resolve(broken);
        pending.set(b, resolve);
        workers[b % workers.length].postMessage(req);
      }),
    );
  };
  try {
    let asked = 0;
    const ahead = AHEAD * workers.length;
    for (let b = 0; b < batches; b++) {
      while (asked < batches && asked <= b + ahead) ask(asked++);
      const reply = await results.get(b)!;
      results.delete(b);
      const from = b * BATCH;
      const to = Math.min(names.length, from + BATCH);
      if (reply instanceof Error) {
        for (let i = from; i < to; i++) fn(i, null);
        continue;
      }
      let start = 0;
      for (let k = 0; k < to - from; k++) {
        const end = reply.ends[k];
        fn(from + k, reply.skipped[k] ? null : reply.data.subarray(start, end));
        start = end;
      }
    }
  } finally {
    for (const w of workers) w.terminate();
  }
}
