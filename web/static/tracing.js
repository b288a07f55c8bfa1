// Investigation desk: the import form (posts the CSV to /api/v1/imports) and the chain view
// (an ECharts graph laid out by generation, pan/zoom, click → case page).
"use strict";

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}

// ------------------------------------------------------------------ import
const form = document.getElementById("import-form");
if (form) {
  const out = document.getElementById("import-result");
  const L = out.dataset;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const file = form.file.files[0];
    if (!file) return;
    const q = new URLSearchParams({
      preset: form.preset.value, kind: form.kind.value, file: file.name,
      dry_run: form.dry_run.checked, skip_bad_rows: form.skip_bad_rows.checked,
    });
    out.replaceChildren(el("p", { class: "muted" }, "…"));
    const r = await fetch("/api/v1/imports?" + q, {
      method: "POST", body: await file.arrayBuffer(),
      headers: { "content-type": "text/csv", "x-csrf-token": form.dataset.csrf },
    });
    const body = await r.json();
    if (!r.ok) {
      const list = el("ul", { class: "error" });
      for (const e of body.errors || []) list.append(el("li", {}, `${e.field}: ${e.message}`));
      out.replaceChildren(el("p", { class: "error", id: "import-error" }, `${L.lFailed}: ${body.detail}`), list);
      return;
    }
    const facts = el("dl", { class: "facts", id: "import-report" });
    const add = (k, v) => facts.append(el("dt", {}, k), el("dd", {}, v));
    add(L.lCases, `${L.lNew} ${body.cases_new} · ${L.lExisting} ${body.cases_existing}`);
    add("links", `${L.lNew} ${body.links_new} (${body.links_unobserved} unobserved) · ${L.lExisting} ${body.links_existing}`);
    add("itinerary", `${L.lNew} ${body.visits_new} · ${L.lExisting} ${body.visits_existing}`);
    add(L.lWarnings, body.warnings.length);
    add(L.lSkipped, body.skipped.length);
    const warn = el("ul", { class: "muted" });
    for (const w of [...body.skipped, ...body.warnings].slice(0, 100)) warn.append(el("li", {}, `line ${w.line} ${w.column}: ${w.message}`));
    out.replaceChildren(el("p", { class: "notice" }, `${L.lDone}: ${body.file} (${body.root})`), facts, warn,
      el("p", {}, el("a", { class: "button", href: "/cases" }, L.lCases), " ", el("a", { class: "button primary", href: "/chains" }, L.lChains)));
  });
}

// ------------------------------------------------------------------ chain view
const box = document.getElementById("chain-graph");
if (box) {
  const sel = document.getElementById("chain-select");
  const stats = document.getElementById("chain-stats");
  const L = stats.dataset;
  const params = new URLSearchParams(location.search);
  const chart = echarts.init(box, null, { renderer: "canvas" });
  window.addEventListener("resize", () => chart.resize());
  let firstLoad = true;

  async function load() {
    const q = new URLSearchParams();
    if (params.get("jurisdiction")) q.set("jurisdiction", params.get("jurisdiction"));
    if (params.get("chain")) q.set("chain", params.get("chain"));
    const r = await fetch(box.dataset.api + "?" + q);
    const g = await r.json();
    if (!r.ok) { box.replaceChildren(el("p", { class: "error" }, g.detail)); return; }
    const s = g.summary;
    stats.replaceChildren(
      ...[[L.lChains, s.chains], [L.lLargest, s.largest_chain], [L.lResolved, s.links_resolved], [L.lUnobserved, s.links_unobserved]]
        .map(([k, v]) => el("div", { class: "tile" }, el("b", {}, v), el("span", {}, k))));
    if (firstLoad) {
      for (const c of g.chains.slice(0, 2000)) {
        const o = el("option", { value: c.id }, `#${c.id} · ${c.size} ${L.lCases} · ${c.first_onset || "?"} … ${c.last_onset || "?"}${c.active ? " · " + L.lActive : ""}`);
        if (String(c.id) === sel.dataset.selected) o.selected = true;
        sel.append(o);
      }
      firstLoad = false;
    }
    const list = el("table", { class: "grid" });
    list.append(el("tr", {}, el("th", {}, "#"), el("th", {}, L.lCases), el("th", {}, L.lGen), el("th", {}, "index"), el("th", {}, "spreaders"), el("th", {}, "")));
    for (const c of g.chains.slice(0, 30)) {
      list.append(el("tr", {}, el("td", {}, el("a", { href: `/chains?chain=${c.id}` }, `#${c.id}`)), el("td", {}, c.size), el("td", {}, c.generations),
        el("td", {}, c.index_cases.join(", ")), el("td", {}, c.top_spreaders.map(([k, n]) => `${k} (${n})`).join(", ")),
        el("td", {}, c.active ? L.lActive : L.lEnded)));
    }
    document.getElementById("chain-list").replaceChildren(list);
    graph = g;
    redraw();
  }

  // Onset date filter, in the browser (no reload): a chain is kept whole when any of its cases
  // had onset in [from, to]; a case in no chain when its own onset is in the range.
  let graph = null;
  const fromIn = document.getElementById("chain-from"), toIn = document.getElementById("chain-to");
  function byOnset(g, from, to) {
    if (!from && !to) return g;
    const parent = new Map(g.nodes.map((n) => [n.id, n.id]));
    const find = (x) => { while (parent.get(x) !== x) { parent.set(x, parent.get(parent.get(x))); x = parent.get(x); } return x; };
    for (const e of g.edges) if (parent.has(e.source) && parent.has(e.target)) parent.set(find(e.source), find(e.target));
    const keep = new Set();
    for (const n of g.nodes) if (n.onset && (!from || n.onset >= from) && (!to || n.onset <= to)) keep.add(find(n.id));
    const nodes = g.nodes.filter((n) => keep.has(find(n.id)));
    const ids = new Set(nodes.map((n) => n.id));
    return { ...g, nodes, edges: g.edges.filter((e) => ids.has(e.source) && ids.has(e.target)) };
  }
  function redraw() {
    if (!graph) return;
    const t0 = performance.now();
    const g = byOnset(graph, fromIn?.value, toIn?.value);
    draw(g);
    const shown = document.getElementById("chain-shown");
    const cases = (x) => x.nodes.filter((n) => n.case_id).length;
    shown.textContent = `${shown.dataset.lShown}: ${cases(g)} / ${cases(graph)} (${Math.round(performance.now() - t0)} ms)`;
    shown.dataset.cases = cases(g);
  }
  for (const i of [fromIn, toIn]) i?.addEventListener("change", () => {
    const u = new URL(location.href);
    for (const [k, v] of [["from", fromIn.value], ["to", toIn.value]]) { if (v) u.searchParams.set(k, v); else u.searchParams.delete(k); }
    history.replaceState(null, "", u);
    redraw();
  });

  // Layout by generation: x = generation (unobserved infectors one column left of their
  // infectees), chains stacked vertically, each generation's nodes one under the other.
  function draw(g) {
    const gen = new Map(g.nodes.map((n) => [n.id, n.generation]));
    const parentOf = new Map();
    for (const e of g.edges) if (!parentOf.has(e.target)) parentOf.set(e.target, e.source);
    for (const n of g.nodes) if (n.generation === null) {
      const kids = g.edges.filter((e) => e.source === n.id).map((e) => gen.get(e.target) ?? 1);
      gen.set(n.id, Math.min(...kids, 1) - 1);
    }
    // Order nodes by chain (via their root), then depth-first so children sit near parents.
    const children = new Map();
    for (const e of g.edges) { if (!children.has(e.source)) children.set(e.source, []); children.get(e.source).push(e.target); }
    const roots = g.nodes.filter((n) => !parentOf.has(n.id) || parentOf.get(n.id) === n.id);
    const order = [], seen = new Set();
    const visit = (id) => {
      const stack = [id];
      while (stack.length) {
        const x = stack.pop();
        if (seen.has(x)) continue;
        seen.add(x); order.push(x);
        for (const k of (children.get(x) || []).slice().reverse()) stack.push(k);
      }
    };
    for (const r of roots) visit(r.id);
    for (const n of g.nodes) visit(n.id);
    // Each tree gets its own block (x by generation, one row per node in depth-first order);
    // blocks are packed in shelves so the whole outbreak fills a screen-shaped area.
    const blocks = [];
    let cur = null;
    for (const id of order) {
      if (!parentOf.has(id) || !cur) { cur = { ids: [], min: Infinity, max: -Infinity, rows: new Map() }; blocks.push(cur); }
      const x = gen.get(id) ?? 0;
      cur.ids.push(id); cur.min = Math.min(cur.min, x); cur.max = Math.max(cur.max, x);
    }
    const local = new Map();
    let area = 0;
    for (const b of blocks) {
      let row = 0;
      const last = new Map();
      for (const id of b.ids) {
        const x = (gen.get(id) ?? 0) - b.min;
        const p = parentOf.get(id);
        const y = Math.max(p && local.has(p) ? local.get(p)[1] : 0, (last.get(x) ?? -1) + 1);
        last.set(x, y); row = Math.max(row, y);
        local.set(id, [x, y]);
      }
      b.w = b.max - b.min + 1.6; b.h = row + 1.6; area += b.w * 120 * b.h * 24;
    }
    const target = Math.max(1200, Math.sqrt(area * 1.6));
    const pos = new Map();
    let cx = 0, cy = 0, shelf = 0;
    blocks.sort((a, b) => b.h - a.h || b.ids.length - a.ids.length);
    for (const b of blocks) {
      if (cx > 0 && cx + b.w * 120 > target) { cx = 0; cy += shelf; shelf = 0; }
      for (const id of b.ids) { const [x, y] = local.get(id); pos.set(id, [cx + x * 120, cy + y * 24]); }
      cx += b.w * 120; shelf = Math.max(shelf, b.h * 24);
    }
    const big = g.nodes.length > 1500;
    const data = g.nodes.map((n) => ({
      id: n.id, name: n.label, x: pos.get(n.id)[0], y: pos.get(n.id)[1],
      value: n.case_id, symbolSize: Math.min(8 + n.infectees * 3, 30),
      itemStyle: n.case_id ? { color: n.generation === 0 ? "#c0392b" : "#2f6fb0" } : { color: "#aaa" },
      label: { show: !big, position: "right", fontSize: 10 },
      tooltip: { formatter: `${n.label}${n.case_id ? "" : " (" + L.lUnobs + ")"}<br>${L.lGen} ${n.generation ?? "?"} · ${n.onset || ""} · → ${n.infectees}` },
    }));
    const links = g.edges.map((e) => ({ source: e.source, target: e.target, lineStyle: { type: e.certainty === "confirmed" ? "solid" : "dashed" } }));
    chart.setOption({
      animation: !big,
      tooltip: {},
      series: [{
        type: "graph", layout: "none", roam: true, data, links, edgeSymbol: ["none", "arrow"], edgeSymbolSize: 6,
        lineStyle: { color: "#8aa", width: 1, opacity: 0.8 }, emphasis: { focus: "adjacency" },
        progressive: big ? 2000 : 0, progressiveThreshold: 3000, zoom: big ? 0.6 : 1,
      }],
    }, true);
    chart.off("click");
    chart.on("click", (p) => { if (p.dataType === "node" && p.data.value) location.href = "/cases/" + p.data.value; });
  }
  load();
}
