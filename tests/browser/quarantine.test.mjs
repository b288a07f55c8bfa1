// Issue 4's stay flow on the demo: a close contact placed under control, checked into a room,
// two health checks (and a refused 60 °C), a sample with a negative day-7 result, release from
// centralized quarantine to home health monitoring, and the printable release certificate.
// When the demo has no facility with a free room yet (the facilities module adds them), the test
// creates one in the demo database with sqlite3.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
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

const sql = (q) => execFileSync("sqlite3", [join(srv.dataDir, "firebreak.db"), q], { encoding: "utf8" }).trim();

function shanghaiDay(offset) {
  const d = new Date(Date.now() + 8 * 3600_000 + offset * 86400_000);
  return d.toISOString().slice(0, 10);
}

test("place a close contact under control, check in, two checks, a negative result, release, certificate", async () => {
  if (Number(sql("SELECT COUNT(*) FROM quarantine_rooms r JOIN quarantine_facilities f ON f.id = r.facility_id WHERE r.status = 'free' AND f.status = 'open'")) === 0) {
    sql("INSERT INTO quarantine_facilities (code, name, jurisdiction_code, created_at) VALUES ('BT1', '常宁市集中隔离点（浏览器测试）', '430482', '2026-01-01T00:00:00Z')");
    sql("INSERT INTO quarantine_rooms (facility_id, floor, number, updated_at) SELECT id, 3, '301', '2026-01-01T00:00:00Z' FROM quarantine_facilities WHERE code = 'BT1'");
  }
  // A 高竹村 person not yet under control.
  const pid = sql("SELECT id FROM people WHERE jurisdiction_code = '430482203216' AND id NOT IN (SELECT person_id FROM quarantine_stays) ORDER BY id LIMIT 1");
  assert.ok(pid, "a free demo person");
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await login(page, srv.url, "admin", srv.password);
  await page.goto(srv.url + "/quarantine");
  await page.screenshot({ path: join(shots, "quarantine-index.png"), fullPage: true });

  // Last exposed 7 days ago: the 9th edition's 7 days of centralized quarantine end today.
  await page.fill("#control-form input[name=person_id]", pid);
  await page.selectOption("#control-form select[name=control_kind]", "close-contact");
  await page.fill("#control-form input[name=start_date]", shanghaiDay(-7));
  await Promise.all([page.waitForURL(/\/quarantine\/stays\/\d+$/), page.click("#control-form button[type=submit]")]);
  const stayUrl = page.url();
  assert.equal((await page.textContent("#end-date")).trim(), shanghaiDay(3));
  assert.equal(await page.locator("#schedule tbody tr").count(), 8, "2 measures + 6 tests");

  await Promise.all([page.waitForURL(stayUrl), page.click("#check-in-form button[type=submit]")]);
  assert.match(await page.textContent("#where"), /301|房间/);

  for (const t of ["36.6", "36.8"]) {
    await page.fill("#check-form input[name=temperature_c]", t);
    await Promise.all([page.waitForURL(stayUrl), page.click("#check-form button[type=submit]")]);
  }
  assert.equal(await page.locator("#checks tbody tr").count(), 2);
  // 60 °C is refused with a message naming the field.
  await page.fill("#check-form input[name=temperature_c]", "60");
  await page.click("#check-form button[type=submit]");
  await page.waitForLoadState();
  assert.match(await page.textContent("main"), /temperature_c/);
  await page.screenshot({ path: join(shots, "quarantine-refused-60.png") });
  await page.goto(stayUrl);

  // Today's swab (day 7), negative.
  await Promise.all([page.waitForURL(stayUrl), page.click("#sample-form button[type=submit]")]);
  await page.selectOption(".result-form select[name=result]", "negative");
  await Promise.all([page.waitForURL(stayUrl), page.click(".result-form button[type=submit]")]);
  assert.match(await page.textContent("#samples"), /阴性/);
  await page.screenshot({ path: join(shots, "quarantine-stay.png"), fullPage: true });

  // Release: to home health monitoring; the certificate.
  await Promise.all([page.waitForURL(/\/certificate$/), page.click("#release-form button[type=submit]")]);
  const cert = await page.textContent("#certificate");
  assert.match(cert, /解除隔离告知书/);
  assert.match(cert, /居家健康监测/);
  assert.match(cert, /\*{4}/, "ID number masked");
  await page.screenshot({ path: join(shots, "quarantine-certificate.png"), fullPage: true });
  await ctx.close();
});
