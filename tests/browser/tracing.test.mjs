// Issue 3's walk: import the ebola_sim line list and its links through the upload form, open the
// chain view (the whole outbreak, then one chain), click a node through to the case page.
// The demo's Tianjin cluster is used when ../shared/data is absent.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { startDemo, launch, login, shots, root } from "./lib.mjs";

const data = join(root, "..", "shared", "data", "tracing", "ebola_sim");
const linelist = join(data, "ebola_sim__linelist.csv");
const contacts = join(data, "ebola_sim__contacts.csv");

let srv, browser;
before(async () => {
  srv = await startDemo();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  srv?.stop();
});

async function upload(page, file, kind) {
  await page.goto(srv.url + "/cases/import");
  await page.setInputFiles("#import-form input[name=file]", file);
  await page.selectOption("#import-form select[name=preset]", "ebola-sim");
  await page.selectOption("#import-form select[name=kind]", kind);
  await page.click("#import-form button[type=submit]");
  await page.waitForSelector("#import-report, #import-error", { timeout: 60_000 });
  assert.equal(await page.$("#import-error"), null, await page.textContent("#import-result"));
  return page.textContent("#import-report");
}

/** Clicks the graph node of case `label` (pixel position from ECharts) and waits for the case page. */
async function clickNode(page, label) {
  const xy = await page.evaluate((label) => {
    const box = document.getElementById("chain-graph");
    const chart = echarts.getInstanceByDom(box);
    const s = chart.getOption().series[0];
    const n = s.data.find((d) => d.name === label);
    const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [n.x, n.y]);
    const r = box.getBoundingClientRect();
    return [r.left + x, r.top + y];
  }, label);
  await Promise.all([page.waitForURL(/\/cases\/\d+$/), page.mouse.click(xy[0], xy[1])]);
}

test("upload a line list and links, see the chains, click through to a case", async () => {
  const ctx = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await ctx.newPage();
  await login(page, srv.url, "admin", srv.password);
  const real = existsSync(linelist) && existsSync(contacts);
  if (real) {
    const r1 = await upload(page, linelist, "linelist");
    assert.match(r1, /5888/);
    await page.screenshot({ path: join(shots, "tracing-import.png"), fullPage: true });
    const r2 = await upload(page, contacts, "links");
    assert.match(r2, /3800 \(1639 unobserved\)/);
  } else {
    console.log("SKIP upload: ../shared/data/tracing/ebola_sim absent; using the demo's Tianjin cluster");
  }

  // The line list shows the cases, filtered by classification, paged.
  await page.goto(srv.url + "/cases?classification=confirmed");
  assert.match(await page.textContent("main p.muted"), /\d+/);
  await page.screenshot({ path: join(shots, "tracing-cases.png"), fullPage: true });

  // Whole-outbreak chain view: every chain drawn at once, laid out by generation.
  const t0 = Date.now();
  await page.goto(srv.url + "/chains");
  await page.waitForFunction(() => {
    const box = document.getElementById("chain-graph");
    return window.echarts && echarts.getInstanceByDom(box)?.getOption()?.series?.[0]?.data?.length > 0;
  }, null, { timeout: 60_000 });
  const allMs = Date.now() - t0;
  const nodes = await page.evaluate(() => echarts.getInstanceByDom(document.getElementById("chain-graph")).getOption().series[0].data.length);
  console.log(`chain view: ${nodes} nodes drawn in ${allMs} ms`);
  if (real) assert.ok(nodes >= 5888 + 1159, `${nodes} nodes`);
  await page.waitForTimeout(1000);
  // Still interactive: zoom with the wheel and drag without the page hanging.
  const box = await page.locator("#chain-graph").boundingBox();
  const t1 = Date.now();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.wheel(0, -400);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 150, box.y + box.height / 2 + 80, { steps: 5 });
  await page.mouse.up();
  const panMs = Date.now() - t1;
  console.log(`zoom + pan on the whole outbreak: ${panMs} ms`);
  assert.ok(panMs < 5000, `zoom + pan took ${panMs} ms`);
  await page.screenshot({ path: join(shots, "tracing-chains-all.png") });

  // One chain (the largest, first in the selector), then a click on its index case.
  const first = await page.$eval("#chain-select option:nth-child(2)", (o) => o.value);
  await page.selectOption("#chain-select", first);
  await Promise.all([page.waitForURL(/chain=/), page.click("#chain-form button[type=submit]")]);
  await page.waitForFunction(() => window.echarts && echarts.getInstanceByDom(document.getElementById("chain-graph"))?.getOption()?.series?.[0]?.data?.length > 0);
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(shots, "tracing-chain.png") });
  const index = await page.evaluate(() => {
    const d = echarts.getInstanceByDom(document.getElementById("chain-graph")).getOption().series[0].data;
    return d.find((n) => n.value && n.itemStyle.color === "#c0392b").name;
  });
  await clickNode(page, index);
  assert.match(await page.textContent("h1"), new RegExp(index));
  assert.match(await page.textContent("#links"), /续发病例|Infected/);
  await page.screenshot({ path: join(shots, "tracing-case.png"), fullPage: true });

  await page.goto(srv.url + "/golden24");
  assert.match(await page.textContent("#g24-total"), /\d+/);
  await page.screenshot({ path: join(shots, "tracing-golden24.png"), fullPage: true });
  await ctx.close();
});
