// What the browser tests share: Debian's Chromium driven by playwright-core,
// tokens the local stack accepts, the keyboard's focus through shadow
// roots, axe-core's accessibility check, a CSV reader for the files the
// service writes, and the screenshots kept in docs/screenshots.

import { createHmac } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** Where the local stack serves the pages and the API (browser-tests.sh sets it). */
export const API = process.env.API ?? "http://127.0.0.1:3000";
/** A second stack whose reviews expire in seconds. */
export const EXPIRY_API = process.env.EXPIRY_API ?? "";
export const SHOTS = process.env.SCREENSHOTS ?? join(here, "..", "..", "docs", "screenshots");
mkdirSync(SHOTS, { recursive: true });

/** An HS256 token as the local stack signs them (its key: JWT_SECRET or the
 * local default) for `role` of `workspace`, naming the person
 * `${role}@${workspace}.local` as a sign-in would. */
export function token(workspace, role, validForSeconds = 3600) {
  const secret = process.env.JWT_SECRET || "local-stack-secret";
  const part = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const body = `${part({ typ: "JWT", alg: "HS256" })}.${part({
    workspace_id: workspace,
    role,
    email: `${role}@${workspace}.local`,
    exp: Math.floor(Date.now() / 1000) + validForSeconds,
  })}`;
  return `${body}.${createHmac("sha256", secret).update(body).digest("base64url")}`;
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    // Headless, and quiet: this machine's network is closed, and Chromium
    // would otherwise keep calling out at every start.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A page in a new context (its own session storage), failing on script errors. */
export async function newPage(browser, locale = "en-US") {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale, acceptDownloads: true });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  return page;
}

export async function shot(page, name) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** What has the keyboard's focus, looking into shadow roots: its id, or its text. */
export async function focused(page) {
  return page.evaluate(() => {
    let el = document.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    if (!el) return "";
    return el.id || (el.textContent ?? "").trim().slice(0, 60) || el.tagName.toLowerCase();
  });
}

/** Presses Tab until the focus is on `id`; fails after `most` presses. */
export async function tabTo(page, id, most = 60) {
  for (let i = 0; i < most; i++) {
    if ((await focused(page)) === id) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`the keyboard never reached #${id}; focus is on ${await focused(page)}`);
}

/** axe-core's violations of impact serious or critical on the page as it is now. */
export async function seriousViolations(page) {
  await page.addScriptTag({ path: require.resolve("axe-core/axe.min.js") });
  const results = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join("; ")}`);
}

/** Reads a CSV the service wrote: a UTF-8 BOM, `delimiter`, quotes doubled inside quoted values. */
export function readCsv(text, delimiter = ";") {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows = [];
  let row = [];
  let value = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        value += '"';
        i++;
      } else if (c === '"') quoted = false;
      else value += c;
    } else if (c === '"') quoted = true;
    else if (c === delimiter) {
      row.push(value);
      value = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(value);
      rows.push(row);
      row = [];
      value = "";
    } else value += c;
  }
  if (value || row.length) {
    row.push(value);
    rows.push(row);
  }
  const [headers, ...data] = rows;
  return data.map((r) => Object.fromEntries(headers.map((h, i) => [h, r[i] ?? ""])));
}

/** The API, called as the tests' own client. */
export async function api(base, bearer, method, path, body) {
  const answer = await fetch(base + path, {
    method,
    headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await answer.text();
  return { status: answer.status, body: text ? JSON.parse(text) : null };
}
