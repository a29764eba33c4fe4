// The contact module's pages in a real browser against the local stack:
// searching by name and by group, a bulk action over chosen contacts, a
// duplicate merged from its contact's page and the merge undone, the
// contact's activity, an agent offered no delete, and the settings page's
// time zone and this month's count. Each outcome is checked through the
// API as well as on the page; screenshots go to docs/screenshots.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { API, api, launch, newPage, seriousViolations, shot, token } from "./helpers.mjs";

let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

async function accessible(page, name) {
  assert.deepEqual(await seriousViolations(page), [], `accessibility of ${name}`);
}

/** Imports `csv` through the API with `options` and waits for it to end. */
async function imported(bearer, csv, options) {
  const bytes = Buffer.from(csv);
  const created = await api(API, bearer, "POST", "/v1/imports", { file_name: "semilla.csv", size_bytes: bytes.length, options });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const upload = created.body.upload;
  const headers = Object.fromEntries(Object.entries(upload.headers ?? {}).filter(([k]) => k.toLowerCase() !== "content-length"));
  const put = await fetch(upload.url, { method: "PUT", headers, body: bytes });
  assert.ok(put.ok, `upload ${put.status}`);
  const id = created.body.id;
  const until = async (done) => {
    for (let i = 0; i < 240; i++) {
      const now = await api(API, bearer, "GET", `/v1/imports/${id}`);
      if (done(now.body)) return now.body;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`import ${id} never ended`);
  };
  const review = await until((i) => i.status === "review" && i.headers);
  assert.equal(review.status, "review");
  const confirm = await api(API, bearer, "POST", `/v1/imports/${id}/confirm`);
  assert.equal(confirm.status, 200, JSON.stringify(confirm.body));
  return until((i) => i.status === "completed");
}

/** Waits until the contacts table shows `n` rows (a search answered). */
async function rowsShown(page, n) {
  const rows = page.locator("ci-contacts tr[data-contact]");
  for (let i = 0; i < 100; i++) {
    if ((await rows.count()) === n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(await rows.count(), n, "rows shown");
}

const contactsByPhone = async (bearer, phone) =>
  (await api(API, bearer, "GET", `/v1/contacts?phone=${encodeURIComponent(phone)}`)).body.items;

test("contacts are searched, acted on in bulk, merged and unmerged from their pages", async () => {
  const ws = "browser-contacts";
  const owner = token(ws, "owner");
  assert.equal((await api(API, owner, "PATCH", "/v1/settings", { default_country: "EC", contact_limit: 100 })).status, 200);
  // Two contacts sharing a phone (as only an add_all import makes them),
  // and three more.
  const done = await imported(
    owner,
    [
      "Nombre,Apellido,Celular,Correo",
      "Marta,Ruiz,0991110001,marta@example.com",
      "Marta,R.,0991110001,",
      "Pedro,Alba,0991110002,",
      "Rosa,Vega,0991110003,",
      "Luis,Mena,0991110004,",
    ].join("\n"),
    { purpose: "add_all" },
  );
  assert.equal(done.result.imported, 5, JSON.stringify(done));

  const page = await newPage(browser);
  await page.goto(`${API}/#token=${owner}`);
  await page.locator("#nav-contacts").click();
  await page.locator("ci-contacts tr[data-contact]").nth(4).waitFor();

  // By name, accents and case aside.
  await page.locator("#name").fill("marta");
  await page.locator("ci-contacts button[type=submit]", { hasText: "Search" }).click();
  await rowsShown(page, 2);

  // Pedro and Rosa chosen, added to a new group "Feria" in one action.
  await page.locator("ci-contacts button", { hasText: "Show all" }).click();
  await rowsShown(page, 5);
  await page.getByLabel("Choose Pedro Alba").check();
  await page.getByLabel("Choose Rosa Vega").check();
  await page.locator("#bulk-action").selectOption("add_to_group");
  await page.locator("#bulk-value").fill("Feria");
  await page.locator("#bulk button[type=submit]").click();
  await page.locator("#contacts-status", { hasText: "2 changed" }).waitFor();
  const pedro = (await contactsByPhone(owner, "+593991110002"))[0];
  assert.deepEqual(pedro.groups, ["Feria"]);
  // The group is offered, with its size, and lists its members.
  await page.locator("#group option", { hasText: "Feria (2)" }).waitFor({ state: "attached" });
  await page.locator("#group").selectOption("Feria");
  await page.locator("ci-contacts button[type=submit]", { hasText: "Search" }).click();
  await rowsShown(page, 2);
  assert.deepEqual((await page.locator("ci-contacts tr[data-contact] button.link").allInnerTexts()).sort(), ["Pedro Alba", "Rosa Vega"]);
  await shot(page, "12-contacts-bulk");
  await accessible(page, "the contacts page with a bulk action");

  // A duplicate merged into Marta Ruiz from her page, then the merge undone.
  await page.locator("#group").selectOption("");
  await page.locator("#name").fill("Marta");
  await page.locator("ci-contacts button[type=submit]", { hasText: "Search" }).click();
  await rowsShown(page, 2);
  await page.locator("ci-contacts button.link", { hasText: "Marta Ruiz" }).click();
  await page.locator("#suggestions li", { hasText: "Marta R." }).waitFor();
  await page.locator("#suggestions button", { hasText: "Merge Marta R. into this contact" }).click();
  await page.locator("#contacts-status", { hasText: "Marta R. was merged into this contact." }).waitFor();
  await page.locator("#activity li", { hasText: "other contacts merged in" }).waitFor();
  assert.equal((await contactsByPhone(owner, "+593991110001")).length, 1, "one contact holds the phone");
  await shot(page, "13-contact-merged");
  await accessible(page, "a merged contact with its activity");
  await page.locator("#undo-merge").click();
  await page.locator("#contacts-status", { hasText: "The merge was undone." }).waitFor();
  await page.locator("#activity li", { hasText: "merge undone" }).waitFor();
  assert.equal((await contactsByPhone(owner, "+593991110001")).length, 2, "both contacts back");

  // The settings page: the zone the country gives, and this month's count
  // (5 created, 1 merged away and brought back: 6, nothing carried over).
  await page.locator("#nav-settings").click();
  await page.locator("#plan", { hasText: "America/Guayaquil" }).waitFor();
  assert.match(await page.locator("#plan").innerText(), /0 contacts carried over \+ 6 created = 6\. Limit 100: 94 new contacts left\./);
  await page.locator("#time_zone").fill("Asia/Kuala_Lumpur");
  await page.locator("#settings button[type=submit]").click();
  await page.locator("#plan", { hasText: "Asia/Kuala_Lumpur" }).waitFor();
  await page.locator("#time_zone").fill("Mars/Olympus");
  await page.locator("#settings button[type=submit]").click();
  await page.locator("ci-settings [role=alert]", { hasText: "time_zone" }).waitFor();
  await shot(page, "14-settings-plan");
  await accessible(page, "the settings page with the month's count");
  assert.deepEqual(page.errors, []);
});

test("an agent may tag contacts in bulk but is offered no delete, and the API refuses one", async () => {
  const ws = "browser-contacts-agent";
  const owner = token(ws, "owner");
  const agent = token(ws, "agent");
  const created = await api(API, owner, "POST", "/v1/contacts", { first_name: "Inés", phone: "+593991110010" });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const page = await newPage(browser);
  await page.goto(`${API}/#token=${agent}`);
  await page.locator("ci-contacts tr[data-contact]").first().waitFor();
  const offered = await page.locator("#bulk-action option").evaluateAll((os) => os.map((o) => o.value));
  assert.ok(!offered.includes("delete"), offered.join());
  await page.getByLabel("Choose Inés").check();
  await page.locator("#bulk-action").selectOption("add_tags");
  await page.locator("#bulk-value").fill("vip");
  await page.locator("#bulk button[type=submit]").click();
  await page.locator("#contacts-status", { hasText: "1 changed" }).waitFor();
  await page.locator("ci-contacts td", { hasText: "vip" }).waitFor();
  const refused = await api(API, agent, "POST", "/v1/bulk-actions", { action: "delete", ids: [created.body.id] });
  assert.equal(refused.status, 403);
  assert.deepEqual(page.errors, []);
});
