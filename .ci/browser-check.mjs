// Open every page of the built site in headless Chromium, 1280 pixels wide, and fail if a
// formula is left unrendered, shows a KaTeX error or is wider than the text column (there and
// again at 400 pixels), if a Sphinx role or double backticks show as text, if a figure is
// missing, if a code block is wider than its column, if a law's page does not show every word of
// its docstring, if a script throws, if any request leaves 127.0.0.1, or if a search finds nothing.
//
// usage: node .ci/browser-check.mjs [site-directory]   (CHROMIUM overrides /usr/bin/chromium)

import { createServer } from "node:http";
import { readFile, readdir, stat } from "node:fs/promises";
import { extname, join, normalize, relative, sep } from "node:path";
import { chromium } from "playwright-core";

const siteDir = normalize(process.argv[2] ?? "site");
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const TYPES = {
  ".html": "text/html; charset=utf-8", ".css": "text/css", ".js": "text/javascript",
  ".svg": "image/svg+xml", ".png": "image/png", ".json": "application/json",
  ".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".xml": "application/xml",
};

async function pages(dir) {
  const found = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await pages(path)));
    else if (entry.name.endsWith(".html")) found.push(path);
  }
  return found;
}

function serve(root) {
  const server = createServer(async (request, response) => {
    const url = new URL(request.url, "http://127.0.0.1");
    let path = normalize(join(root, decodeURIComponent(url.pathname)));
    if (!path.startsWith(root)) { response.writeHead(403).end(); return; }
    try {
      if ((await stat(path)).isDirectory()) path = join(path, "index.html");
      const body = await readFile(path);
      response.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end("not found");
    }
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const server = await serve(siteDir);
const origin = `http://127.0.0.1:${server.address().port}`;
const browser = await chromium.launch({
  executablePath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
// The docstring of every test, by file and name, read from the test files themselves: a laws
// page must show every character of each (an HTML tag or an emphasis read into a docstring
// makes part of it vanish).
const testsDir = process.env.TESTS ?? join(siteDir, "..", "tests");
const docstrings = {};
for (const entry of await readdir(testsDir)) {
  if (!/^test_\w+\.py$/.test(entry)) continue;
  const text = await readFile(join(testsDir, entry), "utf8");
  docstrings[entry.replace(/\.py$/, "")] = Object.fromEntries(
    [...text.matchAll(/^(?:async )?def (test_\w+)\([\s\S]*?:[ \t]*(?:#[^\n]*)?\n[ \t]+r?"""([\s\S]*?)"""/gm)]
      .map((m) => [m[1], m[2]]),
  );
}
const problems = [];
let formulas = 0;
let laws = 0;
let figures = 0;

for (const file of (await pages(siteDir)).sort()) {
  const path = "/" + relative(siteDir, file).split(sep).join("/");
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const fail = (what) => problems.push(`${path}: ${what}`);
  await page.route("**/*", (route) => {
    const url = new URL(route.request().url());
    if (url.protocol === "data:" || url.hostname === "127.0.0.1") return route.continue();
    fail(`request leaves 127.0.0.1: ${url.href}`);
    return route.abort();
  });
  page.on("pageerror", (error) => fail(`script error: ${error.message}`));
  page.on("response", (response) => {
    if (response.status() >= 400) fail(`HTTP ${response.status()} for ${response.url()}`);
  });
  page.on("requestfailed", (request) => {
    const url = new URL(request.url());
    if (url.hostname === "127.0.0.1") fail(`request failed: ${request.url()}`);
  });
  await page.goto(origin + path, { waitUntil: "networkidle" });
  // KaTeX renders on the page's document$ event: wait until no formula is left waiting
  await page.waitForFunction(
    () => [...document.querySelectorAll(".arithmatex")].every((e) => e.querySelector(".katex")),
    null, { timeout: 10000 },
  ).catch(() => {});
  const found = await page.evaluate(() => {
    const math = [...document.querySelectorAll(".arithmatex")];
    return {
      formulas: math.length,
      unrendered: math.filter((e) => !e.querySelector(".katex")).map((e) => e.textContent.slice(0, 80)),
      // a parse error renders as .katex-error; an unknown command, in red inside the formula
      errors: [
        ...[...document.querySelectorAll(".katex-error")].map((e) => e.getAttribute("title") ?? e.textContent),
        ...[...document.querySelectorAll('.katex mstyle[mathcolor="#cc0000"]')]
          .map((e) => `unknown command ${e.textContent}`),
      ],
      // TeX delimiters left anywhere on the page (text, navigation, table of contents), outside
      // code and outside the formulas themselves
      stray: [document.body].flatMap((body) => {
        const prose = body.cloneNode(true);
        prose.querySelectorAll("script, style").forEach((c) => c.remove());
        prose.querySelectorAll(".arithmatex, .katex, code, pre").forEach((c) => c.remove());
        const text = prose.textContent;
        return [...text.matchAll(/\\\(|\\\[|\$\$/g)]
          .map((m) => text.slice(Math.max(0, m.index - 30), m.index + 50).replace(/\s+/g, " "));
      }),
      // Sphinx roles left as text by the API's renderer (":func:" before a name), outside
      // code blocks: the roles hook turns them into links
      roles: [document.body].flatMap((body) => {
        const prose = body.cloneNode(true);
        prose.querySelectorAll("script, style, pre").forEach((c) => c.remove());
        const text = prose.textContent;
        return [...text.matchAll(/:(func|class|mod|meth|exc|data|attr|obj):/g)]
          .map((m) => text.slice(Math.max(0, m.index - 30), m.index + 50).replace(/\s+/g, " "));
      }),
      // double backticks left by a docstring's reStructuredText, outside code blocks
      backticks: [document.body].flatMap((body) => {
        const prose = body.cloneNode(true);
        prose.querySelectorAll("script, style, pre").forEach((c) => c.remove());
        const text = prose.textContent;
        return [...text.matchAll(/``/g)]
          .map((m) => text.slice(Math.max(0, m.index - 30), m.index + 50).replace(/\s+/g, " "));
      }),
      // a display formula wider than the text column, at the reader's 1280 pixels: it would
      // scroll sideways (or, without the stylesheet's rule, be cut off)
      wide: [...document.querySelectorAll("div.arithmatex")]
        .filter((e) => e.scrollWidth > e.clientWidth + 1)
        .map((e) => `${e.scrollWidth - e.clientWidth} px too wide: ${e.textContent.slice(0, 60)}`),
      // a code block wider than its column at 1280 pixels: the end of its longest lines
      // hidden behind a scroll bar (and under the copy button)
      code: [...document.querySelectorAll(".md-typeset pre > code")]
        .filter((e) => e.scrollWidth > e.clientWidth + 1)
        .map((e) => {
          const longest = e.textContent.split("\n").reduce((a, b) => (b.length > a.length ? b : a), "");
          return `${e.scrollWidth - e.clientWidth} px too wide (${longest.length} characters): ` +
            longest.trim().slice(0, 60);
        }),
      // each law's rendered text on a laws page: what follows its heading, its code left out
      laws: Object.fromEntries([...document.querySelectorAll("h2[id^=test_]")].map((heading) => {
        let text = "";
        for (let e = heading.nextElementSibling; e && e.tagName !== "H2"; e = e.nextElementSibling) {
          if (!e.matches("pre, .highlight, div:has(> pre)")) text += " " + e.textContent;
        }
        return [heading.id, text];
      })),
      images: [...document.images].map((image) => ({
        src: image.getAttribute("src"), ok: image.complete && image.naturalWidth > 0,
      })),
    };
  });
  formulas += found.formulas;
  figures += found.images.filter((image) => image.ok).length;
  for (const text of found.unrendered) fail(`formula left unrendered: ${text}`);
  for (const text of found.errors) fail(`formula shows a rendering error: ${text}`);
  for (const text of found.stray) fail(`raw TeX delimiters in the text: ${text}`);
  for (const text of found.roles) fail(`a Sphinx role shown as text: ${text}`);
  for (const text of found.backticks) fail(`double backticks shown as text: ${text}`);
  for (const text of found.wide) fail(`a display formula wider than its column: ${text}`);
  for (const text of found.code) fail(`a code block wider than its column: ${text}`);
  const lawFile = path.match(/^\/laws\/(test_\w+)\//)?.[1];
  for (const [name, rendered] of Object.entries(lawFile ? found.laws : {})) {
    const doc = docstrings[lawFile]?.[name];
    if (doc === undefined) continue;  // a page that redirects or a test without a docstring
    laws += 1;
    // every word of the docstring, in order, as written (inline code without its backticks)
    const shown = rendered.replace(/\s+/g, " ");
    let at = 0;
    // (a list item's marker is drawn by the list, not written in its text)
    const words = doc.replace(/`/g, "").replace(/^[ \t]*(?:[-+]|\d+\.)[ \t]+/gm, "");
    for (const word of words.split(/\s+/).filter(Boolean)) {
      const where = shown.indexOf(word, at);
      if (where < 0) {
        fail(`the law ${name} does not show "${word}" of its docstring (after ` +
             `"${shown.slice(Math.max(0, at - 40), at)}")`);
        break;
      }
      at = where + word.length;
    }
  }
  // and on a phone, 400 pixels wide: the same page laid out again, every display formula
  // still within its column (stacked in aligned rows where one line would not fit)
  await page.setViewportSize({ width: 400, height: 900 });
  const narrow = await page.evaluate(() => [...document.querySelectorAll("div.arithmatex")]
    .filter((e) => e.scrollWidth > e.clientWidth + 1)
    .map((e) => `${e.scrollWidth - e.clientWidth} px too wide: ${e.textContent.slice(0, 60)}`));
  for (const text of narrow) fail(`at 400 px, a display formula wider than its column: ${text}`);
  for (const image of found.images) if (!image.ok) fail(`figure missing: ${image.src}`);
  await page.close();
}

// Search: each query must find at least one page, the glossary's Chinese terms included.
const SEARCHES = [
  "backpropagation", "pooling", "vanishing gradient", "Richardson",
  "反向传播", "池化", "批量归一化", "卷积神经网络",
];
let searched = 0;
{
  const page = await browser.newPage();
  await page.goto(origin + "/", { waitUntil: "networkidle" });
  for (const query of SEARCHES) {
    // typed key by key, as a reader does: the theme listens to the keys, not to the value
    const input = page.locator("input.md-search__input");
    await input.click({ force: true });
    await input.fill("");
    await page.keyboard.type(query);
    // an input method commits Chinese with a key (Enter or Space), whose release the theme
    // listens to; typed text that is not on the keyboard arrives without one
    await page.keyboard.press("End");
    const hits = await page.waitForFunction(
      () => document.querySelectorAll(".md-search-result__item").length,
      null, { timeout: 5000 },
    ).then((handle) => handle.jsonValue()).catch(() => 0);
    if (!hits) problems.push(`search: no result for ${JSON.stringify(query)}`);
    else searched += 1;
    // the previews' formulas are rendered, not shown as TeX (KaTeX keeps its source only in
    // a MathML annotation, left out here, as is code, where \( is a regular expression's)
    const raw = await page.evaluate(() => [...document.querySelectorAll(".md-search-result__item")]
      .map((item) => {
        const copy = item.cloneNode(true);
        copy.querySelectorAll("annotation, code, pre").forEach((a) => a.remove());
        return copy.textContent;
      })
      .filter((text) => /\\\(|\\\[/.test(text))
      .map((text) => text.slice(Math.max(0, text.search(/\\\(|\\\[/) - 40), text.search(/\\\(|\\\[/) + 60)));
    for (const text of raw) problems.push(`search: raw TeX in a preview for ${JSON.stringify(query)}: ${text}`);
    await input.fill("");
  }
  await page.close();
}

await browser.close();
server.close();
const count = (await pages(siteDir)).length;
if (problems.length) {
  console.error(`browser check FAILED: ${problems.length} problem(s):`);
  for (const problem of problems) console.error("  " + problem);
  process.exit(1);
}
console.log(`browser check passed: ${count} pages, ${formulas} formulas rendered, ${figures} figures loaded, ${laws} laws shown with every word of their docstrings, ${searched} searches answered, no request left 127.0.0.1`);
