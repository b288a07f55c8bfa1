// Issue 3's remaining desk pages on the demo: the contact list (after confirming a companion of
// a case), the chain view's onset date filter, and the policy profile editor (a rejected edit
// shows the reason, a valid one is saved and reclassifies).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startDemo, launch, login, shots } from "./lib.mjs";

let srv, browser, page, ctx;
before(async () => {
  srv = await startDemo();
  browser = await launch();
  ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await ctx.newPage();
  await login(page, srv.url, "admin", srv.password);
});
after(async () => {
  await browser?.close();
  srv?.stop();
});

test("contact list: a confirmed companion is listed as a close contact, filtered, exportable", async () => {
  await page.goto(srv.url + "/cases?q=TJ51");
  await Promise.all([page.waitForURL(/\/cases\/\d+$/), page.click("table.grid a:text-is('TJ51')")]);
  await page.goto(page.url() + "/companions?run=1");
  const box = page.locator("#candidate-table input[type=checkbox]").first();
  const key = await box.getAttribute("value");
  await box.check();
  await Promise.all([page.waitForURL(/#contacts$/), page.click("#confirm-form button[type=submit]")]);

  await page.click("nav a[href='/contacts']");
  await page.waitForSelector("#contact-table");
  const all = await page.textContent("#contact-table");
  assert.ok(all.includes(key) && all.includes("TJ51"), all);
  await page.selectOption("#contact-filter select[name=classification]", "close");
  await page.selectOption("#contact-filter select[name=control]", "open");
  await Promise.all([page.waitForURL(/classification=close/), page.click("#contact-filter button[type=submit]")]);
  assert.match(await page.textContent("#contact-total"), /1/);
  assert.match(await page.textContent("#contact-table"), /covid19-9th\/close-contact/);
  assert.match(await page.getAttribute("#contacts-csv", "href"), /classification=close/);
  await page.screenshot({ path: join(shots, "desk-contacts.png") });
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#contacts-csv")]);
  assert.match(dl.suggestedFilename(), /^contacts-.*\.csv$/);
});

test("chain view: the onset date filter redraws in the browser", async () => {
  await page.goto(srv.url + "/chains");
  const count = () => page.evaluate(() => Number(document.getElementById("chain-shown").dataset.cases || -1));
  await page.waitForFunction(() => Number(document.getElementById("chain-shown")?.dataset.cases) > 0, null, { timeout: 60_000 });
  const all = await count();
  await page.fill("#chain-from", "2020-01-20");
  await page.fill("#chain-to", "2020-01-24");
  await page.dispatchEvent("#chain-to", "change");
  await page.waitForFunction((n) => Number(document.getElementById("chain-shown").dataset.cases) < n, all);
  const some = await count();
  console.log(`chain view: ${some} of ${all} cases shown for onsets 2020-01-20 … 24`);
  assert.ok(some > 0 && some < all, `${some} / ${all}`);
  assert.match(page.url(), /from=2020-01-20&to=2020-01-24/);
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(shots, "desk-chains-filtered.png") });
});

test("policy editor: a bad edit is refused with the reason, a valid one is saved", async () => {
  await page.click("nav a[href='/policy']");
  const area = page.locator("#profile-covid19-9th textarea");
  const p = JSON.parse(await area.inputValue());
  p.version += 1;
  p.contacts.close.days_before_onset = 45;
  await area.fill(JSON.stringify(p, null, 2));
  await Promise.all([page.waitForLoadState(), page.click("#profile-covid19-9th button[type=submit]")]);
  assert.match(await page.textContent("#profile-covid19-9th .error"), /days_before_onset 45/);
  await page.locator("#profile-covid19-9th .error").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, "desk-policy-error.png") });
  p.contacts.close.days_before_onset = 3;
  await page.locator("#profile-covid19-9th textarea").fill(JSON.stringify(p, null, 2));
  await Promise.all([page.waitForLoadState(), page.click("#profile-covid19-9th button[type=submit]")]);
  assert.match(await page.textContent("#profile-covid19-9th .notice"), /covid19-9th v2/);
  assert.match(await page.textContent("#profile-covid19-9th h2"), /v2/);
  await page.screenshot({ path: join(shots, "desk-policy-saved.png") });
});
