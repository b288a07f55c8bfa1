// Issue 6: the fire danger pages on the demo data: the county map coloured by level (ECharts over
// the GeoJSON the binary serves), a station's season chart, and the printable city table.
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

// Pixels of a canvas region close to a colour (r, g, b), counted in the page.
async function countColour(page, selector, [r, g, b], tol = 12) {
  return page.evaluate(({ selector, r, g, b, tol }) => {
    const c = document.querySelector(selector + " canvas");
    const ctx = c.getContext("2d");
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - r) <= tol && Math.abs(d[i + 1] - g) <= tol && Math.abs(d[i + 2] - b) <= tol) n++;
    }
    return n;
  }, { selector, r, g, b, tol });
}

test("the danger map colours Hengyang's counties by level", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  // Chromium's own favicon request (the platform serves none) is not a page resource: failed
  // loads are caught by the response listener, script errors by pageerror.
  page.on("console", (m) => m.type() === "error" && !m.text().startsWith("Failed to load resource") && errors.push(m.text()));
  page.on("response", (r) => r.status() >= 400 && errors.push(r.status() + " " + r.url()));
  await login(page, srv.url, "admin", srv.password);
  await page.click("nav.side >> text=森林防灭火");
  assert.match(await page.textContent("h1"), /森林火险等级图/);
  assert.equal(await page.inputValue("input[name=date]"), "2026-05-31");
  // The season's worst day: every county at level 5 (red, #E60012).
  await page.fill("input[name=date]", "2026-05-07");
  await Promise.all([page.waitForNavigation(), page.click("form.toolbar button[type=submit]")]);
  await page.waitForSelector("#fire-map[data-ready='1']");
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shots, "fire-map-2026-05-07.png"), fullPage: true });
  const red = await countColour(page, "#fire-map", [0xe6, 0x00, 0x12]);
  assert.ok(red > 20000, `red county area: ${red} pixels`);
  const rows = await page.locator("table.fire-counties tbody tr").allTextContents();
  assert.equal(rows.length, 14);
  assert.ok(rows.every((r) => r.includes("五级")), rows.join("\n"));
  // The last day: level 2 (blue, #1E6FD9) everywhere, FWI 7.9-ish.
  await page.goto(srv.url + "/fire?date=2026-05-31");
  await page.waitForSelector("#fire-map[data-ready='1']");
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shots, "fire-map-2026-05-31.png"), fullPage: true });
  assert.ok((await countColour(page, "#fire-map", [0x1e, 0x6f, 0xd9])) > 20000);
  assert.equal(await countColour(page, "#fire-map", [0xe6, 0x00, 0x12]), 0);
  // English.
  await page.goto(srv.url + "/lang/en");
  await page.goto(srv.url + "/fire?date=2026-05-07");
  await page.waitForSelector("#fire-map[data-ready='1']");
  assert.match(await page.textContent("h1"), /Fire danger map/);
  assert.match(await page.textContent("table.fire-counties"), /Level 5 \(extreme\)/);
  await page.screenshot({ path: join(shots, "fire-map-en.png"), fullPage: true });
  await page.goto(srv.url + "/lang/zh");
  assert.deepEqual(errors, []);
  await ctx.close();
});

test("a station's season: indices and level chart", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  await login(page, srv.url, "admin", srv.password);
  await page.goto(srv.url + "/fire/stations");
  await page.click("table.grid >> text=常宁市示范站");
  assert.match(await page.textContent("h1"), /常宁市示范站/);
  await page.waitForSelector("#fire-chart[data-ready='1']");
  await page.waitForTimeout(300);
  const days = await page.locator("table.fire-days tbody tr").count();
  assert.equal(days, 49);
  // The level bars use the level colours: some red (level 5) and some green (level 1).
  assert.ok((await countColour(page, "#fire-chart", [0xe6, 0x00, 0x12])) > 50);
  assert.ok((await countColour(page, "#fire-chart", [0x00, 0xa6, 0x50])) > 50);
  await page.screenshot({ path: join(shots, "fire-station.png"), fullPage: true });
  await ctx.close();
});

test("the printable table lists every county and township", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  await login(page, srv.url, "commander", srv.password);
  await page.goto(srv.url + "/fire/table?date=2026-05-07");
  assert.equal(await page.locator("table.fire-table tr.county").count(), 14);
  assert.equal(await page.locator("table.fire-table tr.sub").count(), 191);
  const gaozhu = await page.textContent("table.fire-table tr[data-code='430482203']");
  assert.match(gaozhu, /大堡乡/);
  assert.match(gaozhu, /常宁市示范站/);
  assert.match(gaozhu, /随所属县/);
  assert.match(gaozhu, /林区禁止一切用火/);
  // Level tags are painted with their colour.
  const bg = await page.$eval("table.fire-table tr[data-code='430482203'] .level-tag", (e) => getComputedStyle(e).backgroundColor);
  assert.equal(bg, "rgb(230, 0, 18)");
  await page.screenshot({ path: join(shots, "fire-table.png"), fullPage: false });
  // Print layout: navigation and toolbar hidden, colours kept.
  await page.emulateMedia({ media: "print" });
  assert.equal(await page.$eval("nav.side", (e) => getComputedStyle(e).display), "none");
  assert.equal(await page.$eval("form.toolbar", (e) => getComputedStyle(e).display), "none");
  await page.screenshot({ path: join(shots, "fire-table-print.png"), fullPage: false });
  const pdf = await page.pdf({ format: "A4", landscape: true, printBackground: true });
  assert.ok(pdf.length > 10000);
  await ctx.close();
});
