/**
 * exec keeps the pid: `bash -c '...; exec sh -c ...'` is one process whose
 * images bash, sh and sleep the collector records as generations 0, 1, 2.
 * `show --tree` shows it as one process, with the children of every image
 * under it, not as separate roots.
 */
import { assertEquals } from "./assert.ts";
import { makeCollector, ROOT } from "./helpers.ts";
import { jobBox, slurm } from "./job_helpers.ts";

Deno.test("show --tree: an exec chain is one process with its generations", async () => {
  await makeCollector();
  const box = await jobBox();
  const env = { ...slurm("993"), EPMT_INSTALL_PREFIX: ROOT };
  const run = await box.epmt([
    "-a",
    "run",
    "/bin/bash",
    "-c",
    '/bin/true; exec /bin/sh -c "/bin/true; exec /bin/sleep 0"',
  ], env);
  assertEquals(run.code, 0, run.stderr);
  assertEquals((await box.epmt(["submit"], env)).code, 0);
  const show = await box.epmt(["show", "--tree", "--json", "993"]);
  assertEquals(show.code, 0, show.stderr);
  type Node = {
    exename: string;
    args: string;
    count: number;
    children: Node[];
  };
  const tree = JSON.parse(show.stdout).tree as Node[];
  const brief = (n: Node): unknown => [
    `${n.exename} ${n.args}`.trim(),
    n.count,
    n.children.map(brief),
  ];
  assertEquals(tree.map(brief), [
    ["bash ⇒ sh ⇒ sleep 0", 1, [["true", 2, []]]],
  ]);
  await box.remove();
});
