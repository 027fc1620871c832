// Opens a catalog site in the system's Chromium (headless), from file://, and checks it as a
// reader would meet it: every page reached by following links from index.html loads with no
// console error, no script error and no failed request; every link points at a file that exists
// and, with a #fragment, at an element of that page; typing in the filter box narrows the index.
// Every page is also checked by axe (axe-core, the accessibility engine of browsers' developer
// tools) against WCAG 2.1 A and AA: contrast, labels, headings, table headers, landmarks.
// Then it takes a screenshot of the index and of one message page.
//
// Usage: node browse.mjs SITE_DIR SCREENSHOT_DIR FILTER_TEXT MESSAGE_PAGE
// Prints one JSON object.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL, fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const [siteDir, shotDir, filterText, messagePage] = process.argv.slice(2);
const axePath = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const accessibility = [];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
const problems = [];
page.on("console", (m) => { if (m.type() === "error") problems.push(`${page.url()}: console: ${m.text()}`); });
page.on("pageerror", (e) => problems.push(`${page.url()}: script error: ${e.message}`));
page.on("requestfailed", (r) => problems.push(`${r.url()}: request failed: ${r.failure()?.errorText}`));

const start = pathToFileURL(resolve(siteDir, "index.html")).href;
const queue = [start];
const seen = new Set();
const ids = new Map();      // page → its element ids
const fragments = [];       // [from, page, fragment]
let links = 0;
while (queue.length > 0) {
  const url = queue.shift();
  if (seen.has(url)) continue;
  seen.add(url);
  await page.goto(url, { waitUntil: "load" });
  ids.set(url, new Set(await page.$$eval("[id]", (es) => es.map((e) => e.id))));
  // preload off: axe would fetch the stylesheets itself, which file:// forbids.
  await page.addScriptTag({ path: axePath });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { preload: false, runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.length} element(s), e.g. ${v.nodes[0].target.join(" ")}`);
  });
  for (const v of found) accessibility.push(`${url}: ${v}`);
  for (const href of await page.$$eval("a[href]", (as) => as.map((a) => a.href))) {
    links += 1;
    const target = new URL(href);
    if (target.protocol !== "file:") { problems.push(`${url}: link leaves the site: ${href}`); continue; }
    const fragment = decodeURIComponent(target.hash.slice(1));
    target.hash = "";
    if (!existsSync(fileURLToPath(target))) { problems.push(`${url}: broken link ${href}`); continue; }
    if (fragment) fragments.push([url, target.href, fragment]);
    if (target.href.endsWith(".html") && !seen.has(target.href)) queue.push(target.href);
  }
}
for (const [from, target, fragment] of fragments) {
  if (!ids.get(target)?.has(fragment)) problems.push(`${from}: no #${fragment} in ${target}`);
}

// The filter box, driven as a person would: typing.
await page.goto(start);
const visible = () => page.$$eval("#messages tbody tr", (rs) => rs.filter((r) => !r.hidden).length);
const before = await visible();
await page.click("#filter");
await page.keyboard.type(filterText);
const after = await visible();
const shown = await page.textContent("#shown");
await page.screenshot({ path: resolve(shotDir, "catalog-index.png") });
await page.goto(pathToFileURL(resolve(siteDir, messagePage)).href);
await page.screenshot({ path: resolve(shotDir, "catalog-message.png"), fullPage: false });
await browser.close();
console.log(JSON.stringify({ pages: seen.size, links, problems, accessibility, filter: { before, after, shown } }));
