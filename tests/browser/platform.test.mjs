// Issue 2's walk: log in, open 常宁市 → 大堡乡 → 高竹村委会 in the jurisdiction tree, register a
// person there, find them again; check masking, the scope of a county user, and the audit log.
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

// A valid resident ID (ISO 7064 MOD 11-2 check character) for a person born 1988-06-15 in 常宁市.
function residentId(first17) {
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, c, i) => s + Number(c) * w[i], 0);
  return first17 + "10X98765432"[sum % 11];
}
const ID = residentId("43048219880615" + String(100 + Math.floor(Math.random() * 800)).padStart(3, "0"));

test("admin walks the tree to 高竹村委会, registers a person and finds them again", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  await login(page, srv.url, "admin", srv.password);
  await page.screenshot({ path: join(shots, "home.png"), fullPage: true });
  assert.match(await page.textContent("h1"), /指挥首页/);

  await page.click("nav.side >> text=辖区");
  await page.click("table.grid >> text=衡阳市");
  await page.click("ul.tiles >> text=常宁市");
  await page.click("ul.tiles >> text=大堡乡");
  await page.click("ul.tiles >> text=高竹村委会");
  assert.match(await page.textContent("h1"), /高竹村委会/);
  assert.match(await page.textContent("nav.crumbs"), /衡阳市.*常宁市.*大堡乡.*高竹村委会/s);
  assert.match(await page.textContent("dl.facts"), /430482203216/);
  await page.screenshot({ path: join(shots, "jurisdiction.png"), fullPage: true });

  // People of this village, then register one more.
  await page.click("dl.facts >> a[href*='/people?jurisdiction=']");
  await page.click("text=登记人员");
  assert.equal(await page.inputValue("input[name=jurisdiction]"), "430482203216");
  await page.fill("input[name=name]", "测试员甲");
  await page.fill("input[name=id_number]", ID);
  await page.fill("input[name=phone]", "13812345678");
  await page.fill("input[name=address]", "高竹村3组12号");
  await page.screenshot({ path: join(shots, "person-form.png"), fullPage: true });
  await Promise.all([page.waitForNavigation(), page.click("main form.form button[type=submit]")]);
  assert.match(await page.textContent("h1"), /测试员甲/);
  // Masked on screen.
  assert.equal((await page.textContent("[data-field=id_number]")).trim(), ID.slice(0, 3) + "*".repeat(11) + ID.slice(14));
  assert.equal((await page.textContent("[data-field=phone]")).trim(), "138****5678");
  await page.screenshot({ path: join(shots, "person.png"), fullPage: true });

  // Find them again by name, from the people list.
  await page.goto(srv.url + "/people");
  await page.fill("input[name=q]", "测试员甲");
  await Promise.all([page.waitForNavigation(), page.click("form.toolbar button[type=submit]")]);
  const rows = await page.locator("table.grid tbody tr").allTextContents();
  assert.equal(rows.length, 1, rows.join("\n"));
  assert.match(rows[0], /测试员甲/);
  assert.match(rows[0], /高竹村委会/);
  await page.screenshot({ path: join(shots, "people.png"), fullPage: true });

  // Unmask with a reason: the full number appears once.
  await page.click("table.grid >> text=测试员甲");
  await page.fill("input[name=reason]", "核实身份 for a transfer");
  await Promise.all([page.waitForNavigation(), page.click("form.inline-form button")]);
  assert.equal((await page.textContent("[data-field=id_number]")).trim(), ID);

  // A duplicate ID number is refused with a message naming the field.
  await page.goto(srv.url + "/people/new?jurisdiction=430482203216");
  await page.fill("input[name=name]", "重复的人");
  await page.fill("input[name=id_number]", ID);
  await Promise.all([page.waitForNavigation(), page.click("main form.form button[type=submit]")]);
  await page.screenshot({ path: join(shots, "person-duplicate.png"), fullPage: true });
  assert.match(await page.textContent(".error"), /id_number/);
  await page.screenshot({ path: join(shots, "person-duplicate.png"), fullPage: true });
  await ctx.close();
});

test("a 衡山县 investigator cannot see the person registered in 常宁市", async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await login(page, srv.url, "hengshan", srv.password);
  await page.goto(srv.url + "/people?q=" + encodeURIComponent("测试员甲"));
  assert.equal(await page.locator("table.grid tbody tr td a").count(), 0);
  const r = await page.goto(srv.url + "/people?jurisdiction=430482");
  assert.equal(r.status(), 403);
  await ctx.close();
});

test("the auditor sees the reads, the unmasking and the denial in the audit log; the chain verifies", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  await login(page, srv.url, "auditor", srv.password);
  await page.goto(srv.url + "/audit?verify=1");
  assert.match(await page.textContent(".notice.ok"), /审计链完整/);
  const actions = await page.locator("table.grid tbody td .tag").allTextContents();
  for (const a of ["unmask", "denied", "read", "create"]) assert.ok(actions.includes(a), `audit log lacks ${a}: ${actions}`);
  await page.screenshot({ path: join(shots, "audit.png"), fullPage: true });
  // English switch.
  await page.click("a.lang");
  assert.match(await page.textContent("h1"), /Audit log/);
  await ctx.close();
});

test("pages work on a phone screen", async () => {
  const ctx = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page = await ctx.newPage();
  await login(page, srv.url, "gaozhu", srv.password);
  await page.goto(srv.url + "/people");
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 400, `page is ${width}px wide on a 390px phone`);
  await page.screenshot({ path: join(shots, "phone-people.png"), fullPage: true });
  await ctx.close();
});
