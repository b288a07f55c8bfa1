// Issue 5's desk walk: open a demo case whose person has a trace key, find its spatiotemporal
// companions (default range: the case's close-contact window), confirm two, and see them in the
// case's contacts as close contacts with the rule; the evidence is listed on the companions page.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startDemo, launch, login, shots } from "./lib.mjs";

let srv, browser;
before(async () => {
  srv = await startDemo();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  srv?.stop();
});

test("find companions of a case, confirm two, see them as close contacts", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  await login(page, srv.url, "admin", srv.password);

  // TJ34 (a shopper of the Baodi department store cluster) is linked to a demo trace key.
  await page.goto(srv.url + "/cases?q=TJ34");
  await Promise.all([page.waitForURL(/\/cases\/\d+$/), page.click("table.grid a:text-is('TJ34')")]);
  const caseUrl = page.url();
  await Promise.all([page.waitForURL(/\/companions$/), page.click("#find-companions")]);
  assert.match(await page.textContent("#trace-keys"), /p000000\d/);
  // The range defaults to the close-contact window: onset 2020-01-25 − 2 d … end of the report day.
  assert.equal(await page.inputValue("#companion-search input[name=from]"), "2020-01-23T00:00");
  assert.equal(await page.inputValue("#companion-search input[name=to]"), "2020-01-28T00:00");
  await page.screenshot({ path: join(shots, "companions-form.png"), fullPage: true });

  const t0 = Date.now();
  await Promise.all([page.waitForURL(/run=1/), page.click("#companion-search button[type=submit]")]);
  const rows = await page.$$("#candidate-table tbody tr");
  console.log(`companions: ${rows.length} candidates listed in ${Date.now() - t0} ms (${await page.textContent("#search-facts")})`);
  assert.ok(rows.length >= 3, `${rows.length} candidates`);
  // Ranked by time together.
  const mins = await page.$$eval("#candidate-table tbody tr td:nth-child(5)", (tds) => tds.map((t) => Number(t.textContent)));
  assert.deepEqual(mins, [...mins].sort((a, b) => b - a));
  const boxes = await page.$$("#candidate-table input[type=checkbox]");
  assert.ok(boxes.length >= 2);
  const picked = [];
  for (const b of boxes.slice(0, 2)) {
    await b.check();
    picked.push(await b.getAttribute("value"));
  }
  await page.screenshot({ path: join(shots, "companions-candidates.png") });

  // Confirm: back on the case page, both are close contacts by the profile's rule.
  await Promise.all([page.waitForURL(new RegExp(caseUrl.replace(/[/.]/g, "\\$&") + "#contacts$")), page.click("#confirm-form button[type=submit]")]);
  const contacts = await page.textContent("#contacts");
  for (const k of picked) assert.ok(contacts.includes(k), `${k} in the contacts: ${contacts}`);
  assert.equal((contacts.match(/covid19-9th\/close-contact/g) || []).length, 2, contacts);
  await page.locator("#contacts").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, "companions-contacts.png") });

  // The companions page keeps the evidence; the same candidates are marked confirmed.
  await page.goto(caseUrl + "/companions?run=1");
  const confirmed = await page.$$("#confirmed-table tbody tr");
  assert.equal(confirmed.length, 2);
  assert.equal(await page.locator("#candidate-table .tag").count(), 2);
  await page.locator("#confirmed-table").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(shots, "companions-evidence.png"), fullPage: true });
  await ctx.close();
});
