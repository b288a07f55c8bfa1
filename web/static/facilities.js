// Facilities and transfers (src/facilities): room panel on the facility board, occupancy and
// free-room forecast charts (ECharts), CSV file → text area, transfer board auto-refresh.
// No inline scripts (CSP): parameters come from data-* attributes.
"use strict";
(function () {
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const k of kids) if (k !== null && k !== undefined) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  }
  async function getJson(url) {
    const r = await fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.detail || r.statusText);
    return body;
  }
  const fmtDt = (s) => (s ? new Date(s).toLocaleString("sv-SE", { timeZone: "Asia/Shanghai" }).slice(0, 16) : "–");

  // ------------------------------------------------------------------ room board
  const board = document.getElementById("board");
  const panel = document.getElementById("room-panel");
  if (board && panel) {
    const L = JSON.parse(board.dataset.labels || "{}");
    const fid = board.dataset.facility;
    const runs = board.dataset.runs === "true";
    const canSet = board.dataset.canSet === "true";
    const csrf = board.dataset.csrf;
    board.addEventListener("click", async (ev) => {
      const b = ev.target.closest("button.room");
      if (!b) return;
      board.querySelectorAll("button.room.sel").forEach((x) => x.classList.remove("sel"));
      b.classList.add("sel");
      if (!runs) {
        panel.replaceChildren(el("h3", {}, b.title));
        return;
      }
      panel.replaceChildren(el("p", { class: "muted" }, "…"));
      try {
        const d = await getJson(`/api/v1/facilities/${fid}/rooms/${b.dataset.room}`);
        const r = d.room;
        const kids = [el("h3", { id: "room-title" }, `${L.room || ""} ${r.building ? r.building + " " : ""}${r.number}`),
          el("p", {}, el("span", { class: `tag st-${r.status}` }, L["st_" + r.status] || r.status), ` · ${r.beds} ${L.beds}`)];
        if (d.occupants.length === 0) kids.push(el("p", { class: "muted" }, L.no_occupants));
        for (const o of d.occupants) {
          kids.push(el("div", { class: "occ" },
            el("b", { class: "occ-name" }, o.name), " ", el("span", { class: "mono muted" }, o.id_number),
            el("div", { class: "small" }, `${L.checked_in}: ${fmtDt(o.checked_in_at)}`),
            el("div", { class: "small" }, `${L.start_date}: ${o.start_date}`),
            el("div", {}, `${L.leaves_on}: `, el("b", { class: "occ-leaves" }, o.leaves_on)),
            el("div", { class: "small" }, `${L.end_date}: ${o.end_date}`)));
        }
        if (canSet) {
          const forms = el("div", { class: "room-actions" });
          for (const s of ["free", "cleaning", "out_of_service"]) {
            if (s === r.status) continue;
            const f = el("form", { method: "post", action: `/facilities/${fid}/rooms/${r.id}/status` },
              el("input", { type: "hidden", name: "_csrf", value: csrf }),
              el("input", { type: "hidden", name: "status", value: s }),
              el("button", { type: "submit", class: `st-${s}`, "data-status": s }, `${L.fac_set_to} ${L["st_" + s] || s}`));
            forms.append(f);
          }
          kids.push(forms);
        }
        panel.replaceChildren(...kids);
      } catch (e) {
        panel.replaceChildren(el("p", { class: "error" }, e.message));
      }
    });
  }

  // ------------------------------------------------------------------ occupancy chart
  const chartEl = document.getElementById("occ-chart");
  if (chartEl && typeof echarts !== "undefined") {
    const L = JSON.parse(chartEl.dataset.labels || "{}");
    const chart = echarts.init(chartEl, null, { renderer: "canvas" });
    window.addEventListener("resize", () => chart.resize());
    getJson(chartEl.dataset.api).then((body) => {
      const o = body.occupancy || body;
      const days = [...o.history.map((d) => d.day), ...o.forecast.slice(1).map((d) => d.day)];
      const occ = o.history.map((d) => d.occupied);
      const pad = (n) => Array(n).fill(null);
      const free = [...pad(o.history.length - 1), ...o.forecast.map((d) => d.free)];
      const rel = [...pad(o.history.length - 1), ...o.forecast.map((d) => d.releasing)];
      chart.setOption({
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 45, right: 20, top: 35, bottom: 30 },
        xAxis: { type: "category", data: days },
        yAxis: { type: "value", minInterval: 1 },
        series: [
          { name: L.occupied_rooms, type: "line", data: occ, color: "#c0392b", symbolSize: 5 },
          { name: L.free_forecast, type: "line", data: free, color: "#2e8b57", lineStyle: { type: "dashed" }, symbolSize: 5 },
          { name: L.releasing, type: "bar", data: rel, color: "#7fa7cf", barMaxWidth: 14 },
          { name: L.capacity, type: "line", data: days.map(() => o.capacity), color: "#6b7785", symbol: "none", lineStyle: { width: 1 } },
        ],
      });
      chartEl.dataset.ready = "1";
    }).catch((e) => chartEl.replaceChildren(el("p", { class: "error" }, e.message)));
  }

  // ------------------------------------------------------------------ CSV file → text area
  document.querySelectorAll("input[type=file][data-fill]").forEach((input) => {
    input.addEventListener("change", async () => {
      const f = input.files[0];
      const ta = input.form.querySelector(`textarea[name=${input.dataset.fill}]`);
      if (f && ta) ta.value = await f.text();
    });
  });

  // ------------------------------------------------------------------ transfer board refresh
  const note = document.getElementById("refresh-note");
  if (note) {
    // Flash messages are shown once: drop them from the address so a refresh does not repeat them.
    const u = new URL(location.href);
    if (u.searchParams.has("msg") || u.searchParams.has("err")) {
      u.searchParams.delete("msg");
      u.searchParams.delete("err");
      history.replaceState(null, "", u.pathname + (u.search || ""));
    }
    const every = Number(note.dataset.refresh || 30) * 1000;
    setInterval(() => {
      const a = document.activeElement;
      const busy = (a && ["INPUT", "TEXTAREA", "SELECT"].includes(a.tagName)) || document.querySelector("details[open]");
      if (!busy && document.visibilityState === "visible") location.reload();
    }, every);
  }
})();
