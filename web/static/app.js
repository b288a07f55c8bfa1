// firebreak: small progressive enhancements; every page works without this file.
document.addEventListener("DOMContentLoaded", () => {
  // "Back" links on message pages (CSP forbids inline javascript: URLs).
  document.querySelectorAll("a[data-back]").forEach((a) => {
    a.addEventListener("click", (e) => { e.preventDefault(); history.back(); });
    a.setAttribute("href", "#");
  });
  // Jurisdiction code inputs: suggest units by name or code from the API.
  document.querySelectorAll("input[data-jur-picker]").forEach((input) => {
    const list = document.createElement("datalist");
    list.id = "jur-" + Math.random().toString(36).slice(2);
    document.body.appendChild(list);
    input.setAttribute("list", list.id);
    let timer = null;
    input.addEventListener("input", () => {
      clearTimeout(timer);
      const q = input.value.trim();
      if (q.length < 2) return;
      timer = setTimeout(async () => {
        const r = await fetch("/api/v1/jurisdictions?q=" + encodeURIComponent(q), { credentials: "same-origin" });
        if (!r.ok) return;
        const rows = await r.json();
        list.replaceChildren(...rows.map((j) => {
          const o = document.createElement("option");
          o.value = j.code;
          o.label = j.name;
          return o;
        }));
      }, 200);
    });
  });
});
