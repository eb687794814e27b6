// Opens the index.html that `symgrad docs` writes in a DOM (jsdom), with its scripts and the KaTeX it loads from
// the katex/ folder the tool wrote beside it (nothing is copied in: the page must render as a user gets it), and checks
// that every math block was rendered by KaTeX without an error. Usage: node render-html.mjs <docs folder>. Exits 1
// naming the failures.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { JSDOM } from "jsdom";

const folder = process.argv[2];
if (!folder || !existsSync(join(folder, "index.html"))) {
  console.error(`render-html: ${folder ?? "(no folder)"}: no index.html (run symgrad docs first)`);
  process.exit(1);
}
for (const file of ["katex/katex.min.js", "katex/katex.min.css"]) {
  if (!existsSync(join(folder, file))) {
    console.error(`render-html: ${join(folder, file)}: missing (symgrad docs writes KaTeX beside index.html)`);
    process.exit(1);
  }
}

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
