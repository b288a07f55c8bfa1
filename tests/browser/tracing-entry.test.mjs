// Manual entry on the investigation desk (issue 3): register a person from the new-case page,
// enter the case, add an itinerary visit to a new place, an exposure with a registry person and
// an infector link; then import an XLSX line list through a saved column mapping, previewing
// every row first (a bad row is listed with its line and column, nothing is written).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { startDemo, launch, login, shots, root } from "./lib.mjs";

const fixture = join(root, "tests", "browser", "fixtures", "cases-mapped.xlsx");

let srv, browser;
before(async () => {
  srv = await startDemo();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  srv?.stop();
});

/** A valid 18-digit resident ID (GB 11643 check character) for county 430482. */
function residentId(serial) {
  const first17 = `430482199003${String(10 + (serial % 18)).padStart(2, "0")}${String(serial % 1000).padStart(3, "0")}`;
  const w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = [...first17].reduce((s, d, i) => s + Number(d) * w[i], 0);
  return first17 + "10X98765432"[sum % 11];
}

function daysAgo(n) {
  const d = new Date(Date.now() + 8 * 3600_000 - n * 86_400_000);
  return d.toISOString().slice(0, 10);
}

test("enter a case by hand: person, case, itinerary, exposure, link", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await login(page, srv.url, "admin", srv.password);
  await page.goto(srv.url + "/cases");
  await Promise.all([page.waitForURL(/\/cases\/new/), page.click("a[href='/cases/new']")]);

  // Search first: nobody of that name, so the registration form opens.
  await page.fill("#pick-person input[name=q]", "测试林");
  await Promise.all([page.waitForNavigation(), page.click("#pick-person form.toolbar button")]);
  assert.match(await page.textContent("#person-results"), /人员库中未找到|Not in the registry/);
  const form = page.locator("#register-person form");
  await form.locator("input[name=name]").fill("测试林");
  await form.locator("input[name=id_number]").fill(residentId(Date.now() % 997));
  await form.locator("input[name=jurisdiction]").fill("430482203216");
  await Promise.all([page.waitForURL(/\/cases\/new\?person=\d+/), form.locator("button[type=submit]").click()]);

  // The case form for the chosen person.
  const cf = page.locator("#case-form form");
  await cf.locator("select[name=how_found]").selectOption("mass_testing");
  await cf.locator("input[name=onset_date]").fill(daysAgo(3));
  await cf.locator("input[name=sampling_date]").fill(daysAgo(2));
  await page.screenshot({ path: join(shots, "tracing-new-case.png"), fullPage: true });
  await Promise.all([page.waitForURL(/\/cases\/\d+\/entry$/), cf.locator("button[type=submit]").click()]);
  const caseId = page.url().match(/\/cases\/(\d+)\/entry/)[1];

  // Itinerary: a new place, with arrival time.
  const vf = page.locator("#visit-form");
  await vf.locator("input[name=place_id][value=new]").check();
  await vf.locator("input[name=np_name]").fill("宜阳农贸市场");
  await vf.locator("select[name=np_kind]").selectOption("shop");
  await vf.locator("input[name=np_address]").fill("常宁市宜阳街道");
  await vf.locator("input[name=date]").fill(daysAgo(4));
  await vf.locator("input[name=start_time]").fill("08:30");
  await Promise.all([page.waitForNavigation(), vf.locator("button[type=submit]").click()]);
  assert.match(await page.textContent("main"), /宜阳农贸市场/);

  // Exposure: search the registry, pick a person, a meal without protection.
  await page.fill("#person-search input[name=person_q]", "王伟");
  await Promise.all([page.waitForNavigation(), page.click("#person-search button")]);
  const xf = page.locator("#exposure-form");
  await xf.locator("input[name=other_person_id]").first().check();
  await xf.locator("select[name=kind]").selectOption("meal");
  await xf.locator("input[name=start_date]").fill(daysAgo(4));
  await xf.locator("select[name=protection]").selectOption("none");
  await Promise.all([page.waitForNavigation(), xf.locator("button[type=submit]").click()]);

  // Link: the infector is a case of the demo's Tianjin cluster, found by its id.
  await page.fill("#case-search input[name=case_q]", "TJ1");
  await Promise.all([page.waitForNavigation(), page.click("#case-search button")]);
  const lf = page.locator("#link-form");
  await lf.locator("input[name=infector_case_id]").first().check();
  await lf.locator("select[name=certainty]").selectOption("possible");
  await lf.locator("input[name=route]").fill("同一市场");
  await Promise.all([page.waitForNavigation(), lf.locator("button[type=submit]").click()]);
  assert.equal(await page.$("#entry-errors"), null, await page.textContent("main"));
  // Reload without the #anchor (a scrolled full-page screenshot draws sticky table heads over rows).
  await page.goto(`${srv.url}/cases/${caseId}/entry`);
  assert.match(await page.textContent("#itinerary + table"), /宜阳农贸市场/);
  await page.screenshot({ path: join(shots, "tracing-entry.png"), fullPage: true });

  // The case page shows it all: the contact classified by the profile, the infector.
  await page.goto(`${srv.url}/cases/${caseId}`);
  assert.match(await page.textContent("#contacts"), /王伟/);
  assert.match(await page.textContent("#contacts"), /密接|Close contact/);
  assert.match(await page.textContent("#links"), /TJ1/);
  await page.screenshot({ path: join(shots, "tracing-case-manual.png"), fullPage: true });

  // A cluster for it, from the case page's cluster list.
  await page.goto(srv.url + "/clusters");
  await page.fill("#cluster-form input[name=name]", "宜阳农贸市场聚集性疫情");
  await page.selectOption("#cluster-form select[name=kind]", "shop");
  await Promise.all([page.waitForURL(/\/clusters\/\d+$/), page.click("#cluster-form button[type=submit]")]);
  await page.goto(`${srv.url}/cases/${caseId}`);
  await page.selectOption("#case-cluster-form select[name=cluster_id]", { label: "宜阳农贸市场聚集性疫情" });
  await Promise.all([page.waitForNavigation(), page.click("#case-cluster-form button[type=submit]")]);
  assert.match(await page.textContent("#case-clusters"), /宜阳农贸市场聚集性疫情/);
  await page.click("#case-clusters a");
  await page.waitForURL(/\/clusters\/\d+$/);
  assert.equal((await page.textContent("#cluster-count")).trim(), "1");
  await page.screenshot({ path: join(shots, "tracing-cluster.png"), fullPage: true });
  await ctx.close();
});

test("XLSX import through a saved column mapping: preview, refusal, import", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await login(page, srv.url, "admin", srv.password);
  await page.goto(srv.url + "/cases/import");
  await page.click("#mapping-editor summary");
  await page.fill("#mapping-form input[name=name]", "本市流调表");
  await page.selectOption("#mapping-form select[name=preset]", "tianjin");
  await page.fill("#mapping-form textarea[name=columns]", [
    "case_id = 编号", "gender = 性别", "symptom_onset = 发病日期", "symptom_type = 症状", "confirm_date = 确诊日期",
    "Infection_source = 感染来源", "start_source =", "end_source =", "severity =", "death =",
  ].join("\n"));
  await Promise.all([page.waitForNavigation(), page.click("#mapping-form button[type=submit]")]);
  await page.selectOption("#import-form select[name=mapping]", "本市流调表");
  await page.setInputFiles("#import-form input[name=file]", fixture);

  await page.click("#preview-button");
  await page.waitForSelector("#preview-report, #import-error", { timeout: 30_000 });
  assert.equal(await page.$("#import-error"), null, await page.textContent("#import-result"));
  const problems = await page.textContent("#preview-problems");
  assert.match(problems, /3\s*confirm_date/);
  assert.match(problems, /2099-01-01/);
  assert.match(await page.textContent("#preview-sample"), /TJ901/);
  assert.match(await page.textContent("#preview-sample"), /2020-02-01/, "the Excel date cell reads as a date");
  await page.screenshot({ path: join(shots, "tracing-import-preview.png"), fullPage: true });

  // The real import refuses the file (nothing written); with "skip bad rows" it takes the two others.
  await page.click("#import-form button[value=import]");
  await page.waitForSelector("#import-error", { timeout: 30_000 });
  assert.match(await page.textContent("#import-result"), /line 3/);
  await page.check("#import-form input[name=skip_bad_rows]");
  await page.click("#import-form button[value=import]");
  await page.waitForSelector("#import-report", { timeout: 30_000 });
  assert.match(await page.textContent("#import-report"), /新增 2|New 2/);
  await page.screenshot({ path: join(shots, "tracing-import-xlsx.png"), fullPage: true });
  await page.goto(srv.url + "/cases?q=TJ90");
  assert.match(await page.textContent("main table.grid"), /TJ901/);
  await ctx.close();
});
