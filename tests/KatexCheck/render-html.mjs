// Opens the index.html that `symgrad docs` writes in a DOM (jsdom), with its scripts and the KaTeX it loads from
// the katex/ folder beside it (copied here from node_modules/katex/dist), and checks that every math block was
// rendered by KaTeX without an error. Usage: node render-html.mjs <docs folder>. Exits 1 naming the failures.
import { cpSync, existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { JSDOM } from "jsdom";

const folder = process.argv[2];
if (!folder || !existsSync(join(folder, "index.html"))) {
  console.error(`render-html: ${folder ?? "(no folder)"}: no index.html (run symgrad docs first)`);
  process.exit(1);
}
const dist = join(fileURLToPath(import.meta.url), "..", "node_modules", "katex", "dist");
cpSync(dist, join(folder, "katex"), { recursive: true });

const dom = await JSDOM.fromFile(join(folder, "index.html"), { runScripts: "dangerously", resources: "usable", pretendToBeVisual: true });
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("the page did not finish loading in 30 s")), 30000);
  dom.window.addEventListener("load", () => { clearTimeout(timer); resolve(); });
});
// DOMContentLoaded handlers have run once load fires.
const document = dom.window.document;
const blocks = [...document.querySelectorAll(".math")];
let failures = 0;
blocks.forEach((el, i) => {
  let heading = el.closest("details") ?? el;
  while (heading && heading.tagName !== "H3") heading = heading.previousElementSibling;
  const error = el.querySelector(".katex-error");
  if (!el.querySelector(".katex") || error) {
    failures++;
    console.error(`index.html block ${i + 1} (${heading?.textContent ?? "?"}): ${error ? error.getAttribute("title") ?? error.textContent : "not rendered"}`);
  }
});
if (blocks.length === 0) {
  console.error("render-html: index.html has no math blocks");
  process.exit(1);
}
console.log(`render-html: ${blocks.length - failures} of ${blocks.length} math blocks of index.html rendered by KaTeX`);
dom.window.close();
process.exit(failures === 0 ? 0 : 1);
