/**
 * The shipped documents stay true to the tree: every relative link in
 * README.md and docs/ names a file that exists, and the Dockerfile unpacks
 * the archive the build makes for this version and uses files it holds.
 */
import { assert, assertEquals } from "./assert.ts";
import { ROOT } from "./helpers.ts";
import { VERSION } from "../src/version.ts";
import { dirname, join } from "node:path";

Deno.test("docs: relative links point at files that exist", async () => {
  const pages = [join(ROOT, "README.md")];
  for await (const e of Deno.readDir(join(ROOT, "docs"))) {
    if (e.name.endsWith(".md")) pages.push(join(ROOT, "docs", e.name));
  }
  const broken: string[] = [];
  for (const page of pages) {
    const text = await Deno.readTextFile(page);
    for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
      const target = m[1];
      if (/^[a-z]+:/.test(target)) continue;
      try {
        await Deno.stat(join(dirname(page), target));
      } catch {
        broken.push(`${page.slice(ROOT.length + 1)} -> ${target}`);
      }
    }
  }
  assertEquals(broken, []);
  assert(pages.length > 4, "docs/ has its pages");
});

Deno.test("Dockerfile: unpacks this version's bundle and uses what it holds", async () => {
  const text = await Deno.readTextFile(join(ROOT, "Dockerfile"));
  const version = /^ARG EPMT_VERSION=(\S+)$/m.exec(text)?.[1];
  assertEquals(version, VERSION, "ARG EPMT_VERSION is the current version");
  const bundle = `epmt-\${EPMT_VERSION}-linux-x86_64`;
  assert(text.includes(`ARG EPMT_BUNDLE=${bundle}`), "bundle name");
  assert(text.includes("ADD dist/${EPMT_BUNDLE}.tar.gz /opt/"));
  // Files the image's RUN line uses must be in the bundle.
  for (const m of text.matchAll(/\/opt\/\$\{EPMT_BUNDLE\}\/(settings\/\S+)/g)) {
    await Deno.stat(join(ROOT, m[1]));
  }
  const ignore = await Deno.readTextFile(join(ROOT, ".dockerignore"));
  assert(ignore.includes("!dist/epmt-*-linux-x86_64.tar.gz"));
});
