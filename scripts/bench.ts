/**
 * `deno task bench [NAME...] [--OPTION...]`: runs scripts/bench_<NAME>.ts,
 * or all of them; everything from the first "-" argument on is passed to
 * each one (`deno task bench submit --procs 1000000`).
 * Each benchmark prints its own figures as ratios against a baseline it
 * measures in the same run.
 */
import { join } from "node:path";

const here = new URL(".", import.meta.url).pathname;
const all = [...Deno.readDirSync(here)]
  .map((e) => e.name.match(/^bench_(\w+)\.ts$/)?.[1])
  .filter((n): n is string => n !== undefined)
  .sort();
const firstOption = Deno.args.findIndex((a) => a.startsWith("-"));
const names = firstOption < 0 ? Deno.args : Deno.args.slice(0, firstOption);
const options = firstOption < 0 ? [] : Deno.args.slice(firstOption);
const wanted = names.length > 0 ? names : all;
let failed = 0;
for (const name of wanted) {
  if (!all.includes(name)) {
    console.error(`no benchmark ${name}; have: ${all.join(", ")}`);
    Deno.exit(2);
  }
  console.log(`== bench ${name}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(here, `bench_${name}.ts`), ...options],
  }).spawn().status;
  if (code !== 0) failed++;
}
Deno.exit(failed ? 1 : 0);
