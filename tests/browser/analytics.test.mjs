// Situation analytics page on the demo: Hengyang's 2020 counts draw the epidemic curve and R_t
// (with its band, the R = 1 line and greyed low-case windows), the serial-interval histogram of the
// Ali et al. 2020 pairs, and the doubling-time panel. A county user may not open another county.
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

/** Waits until the ECharts instance in `sel` has drawn a series. */
async function drawn(page, sel) {
  await page.waitForFunction((s) => {
    const el = document.querySelector(s);
    const c = el && window.echarts && window.echarts.getInstanceByDom(el);
    return !!(c && c.getOption() && (c.getOption().series || []).length > 0 && el.querySelector("canvas"));
  }, sel, { timeout: 15_000 });
}

test("the analytics page shows Hengyang's curve and R_t on first start", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 1300 } });
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("response", (r) => { if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) errors.push(r.status() + " " + r.url()); });
  await login(page, srv.url, "commander", srv.password);
  // The home page lists the module.
  assert.ok(await page.isVisible("section.modules a[href='/analytics']"));
  await page.click("nav.side >> text=形势研判");
  assert.match(await page.textContent("h1"), /形势研判.*衡阳市/s);
  // By default the page counts the investigation desk's own cases (the demo's Tianjin cluster sits
  // under 衡阳市: 135 cases); the city's reported daily counts are the other source.
  await drawn(page, "#an-curve");
  assert.equal(await page.textContent("#an-total"), "135");
  await page.goto(srv.url + "/analytics?source=reported");
  await drawn(page, "#an-curve");
  await drawn(page, "#an-rt");
  await drawn(page, "#an-si");
  await page.waitForFunction(() => document.querySelector("#an-growth dt") !== null);
  assert.equal(await page.textContent("#an-total"), "48");
  assert.match(await page.textContent("#an-meta"), /2020-01-24 – 2020-12-08/);
  // R_t: mean line, band, R = 1, and greyed windows late in the year.
  const rt = await page.evaluate(() => {
    const o = window.echarts.getInstanceByDom(document.querySelector("#an-rt")).getOption();
    const main = o.series.find((s) => s.markLine);
    return { n: o.xAxis[0].data.length, one: main.markLine.data[0].yAxis, grey: main.markArea.data.length,
      first: main.data[0] };
  });
  assert.ok(rt.n > 300, `R_t windows: ${rt.n}`);
  assert.equal(rt.one, 1);
  assert.ok(rt.grey >= 1, "insufficient windows greyed");
  assert.ok(Math.abs(rt.first - 2.3159) < 1e-3, `first R_t ${rt.first}`);
  assert.match(await page.textContent("#an-si-lbl"), /n = 1407|n = \d+/);
  await page.screenshot({ path: join(shots, "analytics.png"), fullPage: true });

  // The first weeks: a period selects the windows ending in it; the growth fit then exists.
  await page.goto(srv.url + "/analytics?source=reported&dataset=ali2020&from=2020-01-24&to=2020-02-15&si_from=2020-01-30&si_to=2020-02-13");
  await drawn(page, "#an-rt");
  await page.waitForFunction(() => document.querySelector("#an-growth dt") !== null);
  assert.match(await page.textContent("#an-si-note"), /n = 176, mean 2\.57/);
  await page.click("button.an-toggle[data-mode=weekly]");
  await page.screenshot({ path: join(shots, "analytics-early.png"), fullPage: true });
  assert.deepEqual(errors, []);
  await ctx.close();
});

test("a county user cannot open another county's analytics", async () => {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await login(page, srv.url, "hengshan", srv.password);
  const r = await page.goto(srv.url + "/analytics?jurisdiction=430482");
  assert.equal(r.status(), 403);
  assert.match(await page.textContent("p.error"), /outside your jurisdiction/);
  await ctx.close();
});
