// Investigation desk, import page: preview (every row checked, nothing written), import (posts
// the CSV or XLSX file to /api/v1/imports), and saving a column mapping.
"use strict";

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
  return e;
}

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const form = document.getElementById("import-form");
if (form) {
  const out = document.getElementById("import-result");
  const L = out.dataset;
  // A saved mapping names its preset and kind of file: show them.
  form.mapping.addEventListener("change", () => {
    const o = form.mapping.selectedOptions[0];
    if (o && o.dataset.preset) { form.preset.value = o.dataset.preset; form.kind.value = o.dataset.kind; }
  });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const preview = ev.submitter && ev.submitter.value === "preview";
    const file = form.file.files[0];
    if (!file) return;
    const q = new URLSearchParams({
      preset: form.preset.value, kind: form.kind.value, file: file.name,
      dry_run: form.dry_run.checked, skip_bad_rows: form.skip_bad_rows.checked, preview,
    });
    if (form.mapping.value) q.set("mapping", form.mapping.value);
    const xlsx = /\.xlsx$/i.test(file.name);
    out.replaceChildren(el("p", { class: "muted" }, "…"));
    const r = await fetch("/api/v1/imports?" + q, {
      method: "POST", body: await file.arrayBuffer(),
      headers: { "content-type": xlsx ? XLSX : "text/csv", "x-csrf-token": form.dataset.csrf },
    });
    const body = await r.json();
    if (!r.ok) {
      const list = el("ul", { class: "error" });
      for (const e of body.errors || []) list.append(el("li", {}, `${e.field}: ${e.message}`));
      out.replaceChildren(el("p", { class: "error", id: "import-error" }, `${L.lFailed}: ${body.detail}`), list);
      return;
    }
    const facts = el("dl", { class: "facts", id: preview ? "preview-report" : "import-report" });
    const add = (k, v) => facts.append(el("dt", {}, k), el("dd", {}, v));
    add(L.lCases, `${L.lNew} ${body.cases_new} · ${L.lUpdated} ${body.cases_updated} · ${L.lExisting} ${body.cases_existing}`);
    add("links", `${L.lNew} ${body.links_new} (${body.links_unobserved} unobserved) · ${L.lExisting} ${body.links_existing}`);
    add("itinerary", `${L.lNew} ${body.visits_new} · ${L.lExisting} ${body.visits_existing}`);
    add(L.lWarnings, body.warnings.length);
    add(L.lSkipped, body.skipped.length);
    if (!preview) {
      const warn = el("ul", { class: "muted" });
      for (const w of [...body.skipped, ...body.warnings].slice(0, 100)) warn.append(el("li", {}, `line ${w.line} ${w.column}: ${w.message}`));
      out.replaceChildren(el("p", { class: "notice" }, `${L.lDone}: ${body.file} (${body.root})`), facts, warn,
        el("p", {}, el("a", { class: "button", href: "/cases" }, L.lCases), " ", el("a", { class: "button primary", href: "/chains" }, L.lChains)));
      return;
    }
    // Preview: every problem of every row (errors first), then the first rows as read.
    const problems = [...body.skipped.map((p) => ({ ...p, error: true })), ...body.warnings].sort((a, b) => a.line - b.line);
    const table = el("table", { class: "grid", id: "preview-problems" });
    table.append(el("thead", {}, el("tr", {}, el("th", {}, L.lLine), el("th", {}, L.lColumn), el("th", {}, ""), el("th", {}, L.lMessage))));
    const tb = el("tbody");
    for (const p of problems.slice(0, 2000)) {
      tb.append(el("tr", { class: p.error ? "bad" : "" }, el("td", {}, p.line), el("td", { class: "mono" }, p.column),
        el("td", {}, el("span", { class: "tag" }, p.error ? L.lError : L.lWarning)), el("td", {}, p.message)));
    }
    table.append(tb);
    const sample = el("table", { class: "grid dense", id: "preview-sample" });
    const rows = body.sample_cases || body.sample_links || body.sample_visits || [];
    if (rows.length) {
      const keys = Object.keys(rows[0]).filter((k) => rows.some((r) => r[k] !== null && r[k] !== "" && !(Array.isArray(r[k]) && !r[k].length))).slice(0, 12);
      sample.append(el("thead", {}, el("tr", {}, ...keys.map((k) => el("th", {}, k)))));
      const sb = el("tbody");
      for (const row of rows) sb.append(el("tr", {}, ...keys.map((k) => el("td", {}, row[k] ?? ""))));
      sample.append(sb);
    }
    out.replaceChildren(el("h2", {}, `${L.lPreview}: ${body.file} (${body.rows})`), facts,
      problems.length ? table : el("p", { class: "notice ok", id: "preview-ok" }, L.lAllOk),
      el("h3", {}, L.lSample), sample);
  });
}

const mform = document.getElementById("mapping-form");
if (mform) {
  const res = document.getElementById("mapping-result");
  mform.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const columns = {};
    for (const line of mform.columns.value.split("\n")) {
      const i = line.indexOf("=");
      if (i < 0) continue;
      const k = line.slice(0, i).trim();
      if (k) columns[k] = line.slice(i + 1).trim();
    }
    const r = await fetch("/api/v1/import-mappings", {
      method: "PUT",
      body: JSON.stringify({ name: mform.name.value, kind: mform.kind.value, preset: mform.preset.value, columns }),
      headers: { "content-type": "application/json", "x-csrf-token": mform.dataset.csrf },
    });
    if (r.ok) { location.reload(); return; }
    const body = await r.json();
    res.replaceChildren(el("span", { class: "error" }, body.detail));
  });
}
