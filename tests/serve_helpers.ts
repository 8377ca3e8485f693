/**
 * Shared by the serve tests: the real `epmt serve` started on a free
 * port, its address read from what it prints, stopped with a signal.
 */
import { LAUNCHER } from "./helpers.ts";

/** A running `epmt serve`. */
export interface Served {
  /** http://127.0.0.1:PORT */
  base: string;
  /** Sends `signal` and waits: exit code and everything it printed. */
  stop(signal?: Deno.Signal): Promise<{
    code: number;
    stdout: string;
    stderr: string;
  }>;
}

/** Starts `epmt serve --port 0 ARGS` and waits until it listens. */
export async function startServe(
  env: Record<string, string>,
  args: string[] = [],
): Promise<Served> {
  const child = new Deno.Command(LAUNCHER, {
    args: ["serve", "--port", "0", ...args],
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const dec = new TextDecoder();
  let stdout = "";
  const reader = child.stdout.getReader();
  const stderrText = new Response(child.stderr).text();
  let base: string | undefined;
  const deadline = Date.now() + 30_000;
  while (base === undefined) {
    if (Date.now() > deadline) throw new Error("epmt serve did not start");
    const { value, done } = await reader.read();
    if (done) {
      const status = await child.status;
      throw new Error(
        `epmt serve exited ${status.code}: ${stdout}${await stderrText}`,
      );
    }
    stdout += dec.decode(value, { stream: true });
    base = /(http:\/\/\S+:\d+)\//.exec(stdout)?.[1];
  }
  const rest = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += dec.decode(value, { stream: true });
    }
  })();
  return {
    base,
    async stop(signal: Deno.Signal = "SIGINT") {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
      const status = await child.status;
      await rest;
      return { code: status.code, stdout, stderr: await stderrText };
    },
  };
}
