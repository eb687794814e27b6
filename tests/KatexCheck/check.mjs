// Renders every math block of every *.verified.tex snapshot under tests/ and every $$ … $$ block of docs/*.md with
// KaTeX, throwOnError on. In a snapshot a block is a run of non-blank lines that are not '%' comments. Exits 1 naming
// file and line on failure.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import katex from "katex";

const root = join(fileURLToPath(import.meta.url), "..", "..");
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "bin" || name === "obj") continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith(".verified.tex")) files.push(path);
  }
})(root);

// docs/*.md: every $$ … $$ display block (the generated article-formulas page and the hand-written pages).
const docs = join(root, "..", "docs");
const pages = readdirSync(docs).filter(n => n.endsWith(".md") && !n.includes(".received.")).map(n => join(docs, n)).sort();

let blocks = 0;
let failures = 0;
for (const file of files.sort()) {
  const lines = readFileSync(file, "utf8").split("\n");
  let start = -1;
  let block = [];
  const flush = () => {
    if (block.length === 0) return;
    blocks++;
    try {
      katex.renderToString(block.join("\n"), { displayMode: true, throwOnError: true, strict: "error" });
    } catch (e) {
      failures++;
      console.error(`${relative(root, file)}:${start + 1}: ${e.message}`);
    }
    block = [];
  };
  lines.forEach((line, i) => {
    if (line.trim() === "" || line.startsWith("%")) { flush(); return; }
    if (block.length === 0) start = i;
    block.push(line);
  });
  flush();
}
for (const file of pages) {
  const lines = readFileSync(file, "utf8").split("\n");
  let start = -1;
  let block = null;
  lines.forEach((line, i) => {
    if (line.trim() !== "$$") { if (block) block.push(line); return; }
    if (!block) { block = []; start = i; return; }
    blocks++;
    try {
      katex.renderToString(block.join("\n"), { displayMode: true, throwOnError: true, strict: "error" });
    } catch (e) {
      failures++;
      console.error(`${relative(join(root, ".."), file)}:${start + 1}: ${e.message}`);
    }
    block = null;
  });
  if (block) { failures++; console.error(`${relative(join(root, ".."), file)}:${start + 1}: unclosed $$`); }
}
if (!pages.some(p => p.endsWith("article-formulas.md"))) {
  console.error("katex-check: docs/article-formulas.md is missing");
  failures++;
}
if (files.length === 0 || blocks === 0) {
  console.error("katex-check: no LaTeX snapshots found under tests/");
  process.exit(1);
}
console.log(`katex-check: ${blocks - failures} passed, ${failures} failed (${files.length} snapshot files, ${pages.length} docs pages)`);
process.exit(failures === 0 ? 0 : 1);
