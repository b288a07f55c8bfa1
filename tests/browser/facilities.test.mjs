// Facilities and closed-loop transfers (src/facilities): the facility board (rooms coloured by
// status, click a room, set a cleaned room free, occupancy chart), the bulk "add rooms" form, and
// the transfer board walking a task from requested to handed over with its big buttons.
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

test("facility board: rooms by floor, a room's panel, cleaning → free, add rooms", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await ctx.newPage();
  await login(page, srv.url, "admin", srv.password);
  await page.goto(srv.url + "/");
  assert.match(await page.textContent("#card-quarantine"), /\d+ \/ \d+/);
  await page.goto(srv.url + "/facilities");
  await page.waitForSelector("#occ-chart[data-ready]");
  await page.waitForTimeout(1500); // the chart's drawing animation
  const rows = await page.$$eval("#facilities tbody tr", (trs) => trs.map((t) => t.textContent));
  assert.equal(rows.length, 3, rows.join("\n"));
  await page.screenshot({ path: join(shots, "facilities-list.png"), fullPage: true });

  await Promise.all([page.waitForURL(/\/facilities\/\d+$/), page.click("#facilities a:has-text('常宁市宜阳隔离酒店')")]);
  await page.waitForSelector("#occ-chart[data-ready]");
  const counts = await page.textContent("#room-counts");
  assert.match(counts, /90/);
  const floors = await page.$$eval(".fac-floor", (f) => f.length);
  assert.equal(floors, 5);
  // A room being cleaned: its panel, then "set free".
  const cleaning = page.locator("button.room.st-cleaning").first();
  const number = (await cleaning.textContent()).trim();
  await cleaning.click();
  await page.waitForSelector("#room-title");
  await page.waitForTimeout(1000); // the chart's drawing animation
  assert.match(await page.textContent("#room-panel"), new RegExp(number));
  await page.screenshot({ path: join(shots, "facility-board.png"), fullPage: true });
  await Promise.all([page.waitForURL(/msg=/), page.click("#room-panel button[data-status=free]")]);
  assert.equal(await page.$eval(`button.room[title^="${number} "]`, (b) => b.classList.contains("st-free")), true);

  // Add rooms: building D栋, floors 1..2, 4 a floor.
  await page.fill("#add-rooms input[name=building]", "D栋");
  await page.fill("#add-rooms input[name=floor_from]", "1");
  await page.fill("#add-rooms input[name=floor_to]", "2");
  await page.fill("#add-rooms input[name=rooms_per_floor]", "4");
  await Promise.all([page.waitForURL(/msg=/), page.click("#add-rooms button[type=submit]")]);
  assert.match(await page.textContent("#flash"), /\+8/);
  assert.match(await page.textContent("#room-counts"), /98/);
  assert.equal(await page.locator(".fac-building h2:has-text('D栋')").count(), 1);
  // The same again is refused whole, with the room numbers named.
  await page.fill("#add-rooms input[name=building]", "D栋");
  await page.fill("#add-rooms input[name=floor_from]", "1");
  await page.fill("#add-rooms input[name=floor_to]", "1");
  await page.fill("#add-rooms input[name=rooms_per_floor]", "2");
  await Promise.all([page.waitForURL(/err=/), page.click("#add-rooms button[type=submit]")]);
  assert.match(await page.textContent("#flash-error"), /D栋 101/);
  await page.screenshot({ path: join(shots, "facility-add-rooms.png"), fullPage: true });
  await ctx.close();
});

test("transfer board: a task from requested to handed over", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  const page = await ctx.newPage();
  await login(page, srv.url, "changning", srv.password);
  await page.goto(srv.url + "/transfers");
  const col = (s) => `.tr-col[data-status=${s}]`;
  const first = page.locator(`${col("requested")} article.tr-card`).first();
  const id = await first.getAttribute("data-transfer");
  const card = (s) => page.locator(`${col(s)} article[data-transfer="${id}"]`);
  assert.equal(await card("requested").count(), 1);
  await page.screenshot({ path: join(shots, "transfers-board.png"), fullPage: true });
  await card("requested").locator("input[name=vehicle]").fill("湘D·Z9001");
  await card("requested").locator("input[name=escort]").fill("王警官");
  await Promise.all([page.waitForURL(/msg=/), card("requested").locator("button.big").click()]);
  assert.equal(await card("dispatched").count(), 1);
  assert.match(await card("dispatched").textContent(), /湘D·Z9001/);
  await Promise.all([page.waitForURL(/msg=/), card("dispatched").locator("button.big").click()]);
  await Promise.all([page.waitForURL(/msg=/), card("picked_up").locator("button.big").click()]);
  assert.equal(await card("handed_over").count(), 1);
  const text = await card("handed_over").textContent();
  assert.match(text, /\d+\.\d h/);
  assert.match(text, /待入住|Awaiting check-in/);
  // The timing table counts it with the demo's earlier hand-overs.
  const timing = await page.textContent("#timing tbody");
  assert.match(timing, /\d{4}-\d{2}-\d{2}\s*4/);
  await page.screenshot({ path: join(shots, "transfers-handed-over.png"), fullPage: true });
  await ctx.close();
});
