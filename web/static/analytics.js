// Situation analytics page: fetches the figures from /api/v1/analytics/* and draws them with
// ECharts (served by the binary). No inline scripts: parameters come from data-* attributes.
(function () {
  "use strict";
  const root = document.getElementById("analytics");
  if (!root || typeof echarts === "undefined") return;
  const L = JSON.parse(root.dataset.labels || "{}");
  const q = root.dataset.q || "";
  const siQ = root.dataset.siQ || "";
  const api = (path, query, extra) => "/api/v1/analytics/" + path + "?" + [query, extra].filter(Boolean).join("&");
  const get = async (url) => {
    const r = await fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.detail || r.statusText);
    return body;
  };
  const fmt = (v, d) => (v === null || v === undefined || !isFinite(v) ? "–" : Number(v).toFixed(d));
  const charts = [];
  const chart = (id) => {
    const c = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    charts.push(c);
    return c;
  };
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
  const setText = (id, t) => { const e = document.getElementById(id); if (e) e.textContent = t; };
  const setCsv = (id, url) => { const a = document.getElementById(id); if (a) a.href = url; };
  const grey = "#b8c0c8";
  const colors = { local: "#c0392b", imported: "#2e6da4", rt: "#1b3a5c", band: "#7fa7cf" };

  // ---- epidemic curve
  let curveData = null;
  const curveChart = chart("an-curve");
  function drawCurve(mode) {
    document.querySelectorAll(".an-toggle").forEach((b) => b.classList.toggle("on", b.dataset.mode === mode));
    if (!curveData || !curveData.curve) {
      curveChart.clear();
      curveChart.setOption({ title: { text: L.an_no_data, left: "center", top: "middle", textStyle: { color: "#888", fontSize: 14 } } });
      return;
    }
    const rows = mode === "weekly" ? curveData.curve.weekly : curveData.curve.daily;
    const x = rows.map((r) => (mode === "weekly" ? r.week : r.date));
    curveChart.setOption({
      animation: false,
      color: [colors.local, colors.imported],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { data: [L.an_local, L.an_imported], top: 0 },
      grid: { left: 50, right: 20, top: 36, bottom: 60 },
      dataZoom: [{ type: "slider", height: 18, bottom: 8 }, { type: "inside" }],
      xAxis: { type: "category", data: x },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: L.an_local, type: "bar", stack: "cases", data: rows.map((r) => r.local), barMaxWidth: 24 },
        { name: L.an_imported, type: "bar", stack: "cases", data: rows.map((r) => r.imported), barMaxWidth: 24 },
      ],
    }, true);
  }
  document.querySelectorAll(".an-toggle").forEach((b) => b.addEventListener("click", () => drawCurve(b.dataset.mode)));

  get(api("curve", q)).then((d) => {
    curveData = d;
    const period = d.from ? d.from + " – " + d.to : "";
    setText("an-meta", [d.jurisdiction_name + " (" + d.jurisdiction + ")", period, (d.data_sources || []).join("; "), (d.notes || []).join(" ")].filter(Boolean).join(" · "));
    setText("an-total", d.curve ? String(d.curve.total) : "0");
    drawCurve("daily");
  }).catch((e) => setText("an-meta", e.message));
  setCsv("an-curve-csv", api("curve", q, "format=csv"));

  // ---- R_t with its 95 % band, R = 1, insufficient windows greyed
  const rtChart = chart("an-rt");
  get(api("rt", q)).then((d) => {
    const rt = d.rt;
    if (!rt || rt.windows.length === 0) {
      rtChart.setOption({ title: { text: (d.notes || []).join(" ") || L.an_no_data, left: "center", top: "middle", textStyle: { color: "#888", fontSize: 14 } } });
      return;
    }
    const w = rt.windows;
    const x = w.map((r) => r.t_end);
    const ok = (r) => !r.insufficient;
    const last = [...w].reverse().find(ok);
    setText("an-rt-latest", last ? fmt(last.mean, 2) : "–");
    setText("an-rt-latest-lbl", L.an_latest_rt + (last ? " (" + last.t_start + " – " + last.t_end + ", 95%: " + fmt(last.q025, 2) + "–" + fmt(last.q975, 2) + ")" : ""));
    setText("an-rt-note", document.getElementById("an-rt-note").textContent + " SI: " + rt.si_mean + " ± " + rt.si_sd + " d (" + rt.si_source + "), " + rt.window + " d.");
    // Grey areas over runs of insufficient windows.
    const areas = [];
    let start = null;
    w.forEach((r, i) => {
      if (r.insufficient && start === null) start = i;
      if ((!r.insufficient || i === w.length - 1) && start !== null) {
        const end = r.insufficient ? i : i - 1;
        areas.push([{ xAxis: x[start], name: L.an_insufficient }, { xAxis: x[end] }]);
        start = null;
      }
    });
    const lower = w.map((r) => (ok(r) ? r.q025 : null));
    const width = w.map((r) => (ok(r) ? r.q975 - r.q025 : null));
    rtChart.setOption({
      animation: false,
      tooltip: {
        trigger: "axis",
        formatter: (ps) => {
          const r = w[ps[0].dataIndex];
          return L.an_window_end + " " + r.t_end + " (" + r.t_start + " – " + r.t_end + ")<br>R_t " + fmt(r.mean, 2) +
            " [" + fmt(r.q025, 2) + ", " + fmt(r.q975, 2) + "]<br>" + L.an_local + ": " + r.local_cases +
            (r.insufficient ? "<br><b>" + L.an_insufficient + "</b> (CV " + fmt(r.cv, 2) + " > " + rt.cv_threshold + ")" : "");
        },
      },
      legend: { data: [L.an_rt_mean, L.an_rt_band, L.an_insufficient], top: 0 },
      grid: { left: 50, right: 44, top: 36, bottom: 60 },
      dataZoom: [{ type: "slider", height: 18, bottom: 8 }, { type: "inside" }],
      xAxis: { type: "category", data: x, boundaryGap: false },
      yAxis: { type: "value", name: "R_t", min: 0 },
      series: [
        { name: "lower", type: "line", data: lower, stack: "band", symbol: "none", lineStyle: { opacity: 0 }, tooltip: { show: false } },
        { name: L.an_rt_band, type: "line", data: width, stack: "band", symbol: "none", lineStyle: { opacity: 0 },
          areaStyle: { color: colors.band, opacity: 0.45 }, color: colors.band },
        { name: L.an_rt_mean, type: "line", data: w.map((r) => (ok(r) ? r.mean : null)), symbol: "none", color: colors.rt,
          lineStyle: { width: 2 },
          markLine: { silent: true, symbol: "none", lineStyle: { color: "#c0392b", type: "dashed" }, label: { formatter: L.an_r_one }, data: [{ yAxis: 1 }] },
          markArea: { silent: true, itemStyle: { color: "rgba(150,160,170,0.22)" }, label: { color: "#666", position: "insideTop" }, data: areas } },
        { name: L.an_insufficient, type: "line", data: w.map((r) => (r.insufficient ? r.mean : null)), symbol: "circle", symbolSize: 3,
          color: grey, lineStyle: { color: grey, type: "dotted" } },
      ],
    }, true);
  }).catch((e) => setText("an-rt-note", e.message));
  setCsv("an-rt-csv", api("rt", q, "format=csv"));

  // ---- serial-interval histogram (reference pairs)
  const siChart = chart("an-si");
  get(api("serial-interval", siQ)).then((d) => {
    setText("an-si-mean", fmt(d.mean, 2));
    setText("an-si-lbl", L.an_si_mean + " (n = " + d.n + ", 95%: " + fmt(d.ci_low, 2) + "–" + fmt(d.ci_high, 2) + ")");
    setText("an-si-note", "n = " + d.n + ", mean " + fmt(d.mean, 2) + " d, sd " + fmt(d.sd, 2) + " d, 95% CI " + fmt(d.ci_low, 2) + "–" + fmt(d.ci_high, 2) +
      (d.from || d.to ? " · " + (d.from || "…") + " – " + (d.to || "…") : "") + " · " + d.source + (d.note ? " · " + d.note : ""));
    siChart.setOption({
      animation: false,
      color: ["#5b7fa6"],
      tooltip: { trigger: "axis" },
      grid: { left: 45, right: 15, top: 20, bottom: 40 },
      xAxis: { type: "category", data: d.histogram.map((h) => h[0]), name: L.an_days, nameLocation: "middle", nameGap: 26 },
      yAxis: { type: "value", name: L.an_pairs, minInterval: 1 },
      series: [{ name: L.an_pairs, type: "bar", data: d.histogram.map((h) => h[1]), barCategoryGap: "10%" }],
    }, true);
  }).catch((e) => setText("an-si-note", e.message));
  setCsv("an-si-csv", api("serial-interval", siQ, "format=csv"));

  // ---- growth rate and doubling time
  get(api("growth", q)).then((d) => {
    const g = d.growth;
    const dl = document.getElementById("an-growth");
    const add = (k, v) => {
      const dt = document.createElement("dt"); dt.textContent = k;
      const dd = document.createElement("dd"); dd.textContent = v;
      dl.append(dt, dd);
    };
    if (!g) { add("", L.an_no_data); return; }
    add(L.an_fit_window, g.from + " – " + g.to + " (" + g.days + " " + L.an_days + ", " + g.cases + ")");
    if (g.r === null) {
      add(L.an_growth_rate, L.an_no_fit + ": " + (g.note || ""));
      setText("an-doubling", "–");
      return;
    }
    add(L.an_growth_rate, fmt(g.r, 3) + L.an_per_day + " (95%: " + fmt(g.r_ci_low, 3) + " – " + fmt(g.r_ci_high, 3) + ")");
    const halving = g.r < 0;
    const td = g.doubling_time === null ? null : Math.abs(g.doubling_time);
    const ci = g.doubling_time_ci ? g.doubling_time_ci.map(Math.abs).sort((a, b) => a - b) : null;
    add(halving ? L.an_halving : L.an_doubling, fmt(td, 1) + " (95%: " + (ci ? fmt(ci[0], 1) + " – " + fmt(ci[1], 1) : L.an_unbounded) + ")");
    if (g.dispersion !== null) add(L.an_dispersion, fmt(g.dispersion, 2));
    setText("an-doubling", fmt(td, 1));
    setText("an-doubling-lbl", halving ? L.an_halving : L.an_doubling);
  }).catch((e) => setText("an-growth", e.message));
  setCsv("an-growth-csv", api("growth", q, "format=csv"));
})();
