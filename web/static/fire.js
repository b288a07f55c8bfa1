// firebreak fire danger pages: the county danger map, a station's season chart, colour swatches
// and the print button. Data come from /api/v1/fire/… (no inline scripts: CSP script-src 'self').
(function () {
  "use strict";
  const GREY = "#d0d7de";

  // Colours from data-colour (inline style attributes are blocked by the CSP; CSSOM is not).
  function paintSwatches(root) {
    root.querySelectorAll("[data-colour]").forEach((el) => {
      const c = el.dataset.colour;
      if (!/^#[0-9a-fA-F]{6}$/.test(c)) return;
      el.style.backgroundColor = c;
      el.style.color = textOn(c);
      el.style.borderColor = c;
    });
  }
  // Black or white text, whichever reads better on colour c (WCAG relative luminance).
  function textOn(c) {
    const ch = [1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16) / 255)
      .map((v) => (v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4)));
    const L = 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
    return L > 0.35 ? "#111" : "#fff";
  }

  async function getJson(url) {
    const r = await fetch(url, { credentials: "same-origin" });
    if (!r.ok) throw new Error(url + ": " + r.status);
    return r.json();
  }

  async function drawMap(el) {
    const en = el.dataset.lang === "en";
    const [geo, danger] = await Promise.all([getJson(el.dataset.geo), getJson(el.dataset.danger)]);
    echarts.registerMap("hengyang_counties", geo);
    const names = {};
    geo.features.forEach((f) => (names[f.id] = f.properties.name));
    const byCode = {};
    danger.units.filter((u) => u.unit_level === "county").forEach((u) => (byCode[u.code] = u));
    const data = geo.features.map((f) => {
      const u = byCode[f.id];
      const lvl = u && u.level;
      return {
        name: f.properties.name,
        value: u && u.day ? Math.round(u.day.fwi * 10) / 10 : null,
        code: f.id,
        unit: u || null,
        itemStyle: { areaColor: lvl ? lvl.colour : GREY },
        label: { color: lvl ? textOn(lvl.colour) : "#333" },
      };
    });
    const chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: {
        trigger: "item",
        formatter: (p) => {
          const u = p.data && p.data.unit;
          if (!u) return p.name + "<br>" + el.dataset.noData;
          const l = u.level;
          const lines = [
            "<b>" + p.name + "</b>",
            el.dataset.stationLabel + ": " + (u.station_name || "—"),
          ];
          if (u.day) lines.push("FWI " + u.day.fwi.toFixed(1) + " · ISI " + u.day.isi.toFixed(1) + " · BUI " + u.day.bui.toFixed(1));
          lines.push(l ? (en ? l.name_en : l.name_zh) : el.dataset.noData);
          return lines.join("<br>");
        },
      },
      series: [{
        type: "map",
        map: "hengyang_counties",
        roam: true,
        layoutCenter: ["50%", "50%"],
        layoutSize: "96%",
        selectedMode: false,
        label: {
          show: true,
          fontSize: 12,
          formatter: (p) => {
            const u = p.data && p.data.unit;
            const l = u && u.level;
            return p.name + (l ? "\n" + (en ? "L" + l.number : l.name_zh.replace(/\(.*\)/, "")) : "");
          },
        },
        itemStyle: { borderColor: "#fff", borderWidth: 1.2 },
        emphasis: { label: { show: true }, itemStyle: { areaColor: null, borderColor: "#0f3b63", borderWidth: 2 } },
        data: data,
      }],
    });
    chart.on("click", (p) => {
      const u = p.data && p.data.unit;
      if (u && u.station) window.location.href = "/fire/stations/" + encodeURIComponent(u.station);
    });
    window.addEventListener("resize", () => chart.resize());
    el.dataset.ready = "1";
  }

  async function drawChart(el) {
    const en = el.dataset.lang === "en";
    const s = await getJson("/api/v1/fire/stations/" + encodeURIComponent(el.dataset.code) + "/observations");
    const dates = s.days.map((d) => d.obs_date);
    const levelOf = {};
    s.levels.forEach((l) => (levelOf[l.number] = l));
    const line = (name, key, axis) => ({
      name: name, type: "line", showSymbol: false, xAxisIndex: 0, yAxisIndex: axis,
      data: s.days.map((d) => Math.round(d[key] * 100) / 100),
    });
    const chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      axisPointer: { link: [{ xAxisIndex: "all" }] },
      grid: [{ left: 56, right: 56, top: 36, height: "52%" }, { left: 56, right: 56, top: "72%", height: "18%" }],
      xAxis: [
        { type: "category", data: dates, gridIndex: 0, axisLabel: { show: false } },
        { type: "category", data: dates, gridIndex: 1 },
      ],
      yAxis: [
        { type: "value", gridIndex: 0, name: "FFMC · DMC · DC" },
        { type: "value", gridIndex: 0, name: "ISI · BUI · FWI", position: "right" },
        { type: "value", gridIndex: 1, name: el.dataset.levelLabel, min: 0, max: s.levels.length, interval: 1 },
      ],
      series: [
        line("FFMC", "ffmc", 0), line("DMC", "dmc", 0), line("DC", "dc", 0),
        line("ISI", "isi", 1), line("BUI", "bui", 1), line("FWI", "fwi", 1),
        {
          name: el.dataset.levelLabel, type: "bar", xAxisIndex: 1, yAxisIndex: 2, barCategoryGap: "10%",
          data: s.days.map((d) => {
            const l = levelOf[d.level];
            return { value: d.level || 0, itemStyle: { color: l ? l.colour : GREY },
              name: l ? (en ? l.name_en : l.name_zh) : "" };
          }),
        },
      ],
    });
    window.addEventListener("resize", () => chart.resize());
    el.dataset.ready = "1";
  }

  function fail(el, e) {
    el.textContent = String(e);
    el.classList.add("error");
  }

  document.addEventListener("DOMContentLoaded", () => {
    paintSwatches(document);
    document.querySelectorAll("[data-print]").forEach((b) => b.addEventListener("click", () => window.print()));
    const map = document.getElementById("fire-map");
    if (map && map.dataset.date) drawMap(map).catch((e) => fail(map, e));
    const chart = document.getElementById("fire-chart");
    if (chart) drawChart(chart).catch((e) => fail(chart, e));
  });
})();
