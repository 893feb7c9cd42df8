/* DG-SA page: plain JS + SVG, no library, no network beyond this app's own API. */
"use strict";
const $ = (sel) => document.querySelector(sel);
const NS = "http://www.w3.org/2000/svg";
const STATUS = {
  COMPLIANT: ["ส่งครบถ้วน", "Compliant"], LATE: ["ส่งล่าช้า", "Late"], UNSIGNED: ["ยังไม่ลงนาม", "Unsigned"],
  GROUP_MISMATCH: ["กลุ่มไม่ตรงบัญชี", "Group mismatch"], TARGET_MISMATCH: ["ระดับเป้าหมายไม่ตรง", "Target mismatch"],
  MISSING: ["ยังไม่ส่ง", "Missing"], NOT_ON_LIST: ["ไม่อยู่ในบัญชีรายชื่อ", "Not on the list"],
};
const COLS = [  // key, Thai, English, text?
  ["province_code", "รหัส", "Code", true], ["province_name_th", "จังหวัด", "Province", true],
  ["on_list", "ในบัญชี", "On list"], ["submitted", "ส่งแล้ว", "Submitted"], ["compliant", "ครบถ้วน", "Compliant"],
  ["late", "ล่าช้า", "Late"], ["unsigned", "ไม่ลงนาม", "Unsigned"], ["group_mismatch", "กลุ่มไม่ตรง", "Group mism."],
  ["target_mismatch", "ระดับไม่ตรง", "Target mism."], ["missing", "ยังไม่ส่ง", "Missing"],
  ["not_on_list", "ไม่อยู่ในบัญชี", "Not on list"], ["compliance_rate", "อัตราครบถ้วน", "Rate"],
  ["share_meeting_all", "ถึงเป้าหมาย", "Meeting all"], ["people_improved", "พัฒนาขึ้น", "Improved"],
  ["people_fell_back", "ลดลง", "Fell back"], ["on_track", "ตามเป้า", "On track"],
];
const SHOW_ROWS = 500;   // rows of a follow-up list drawn on the page; the .xlsx has them all
const state = { data: null, selected: null, sort: { key: "province_code", dir: 1 }, byCode: {}, followup: null };
window.dgsaTimings = {};
const mark = (name) => { window.dgsaTimings[name] = Math.round(performance.now()); };

const fmt = (n) => (n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"));
const pct = (r) => (r === null || r === undefined ? "–" : (r * 100).toFixed(1) + "%");
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const bi = (th, en) => `${esc(th)} <span class="en">${esc(en)}</span>`;
const thaiDate = (iso) => new Date(iso).toLocaleString("th-TH-u-ca-buddhist", { timeZone: "Asia/Bangkok", dateStyle: "medium", timeStyle: "short" });

const STOPS = [[215, 48, 39], [252, 141, 89], [254, 224, 139], [145, 207, 96], [26, 152, 80]];
function colour(rate) {
  if (rate === null || rate === undefined) return "#cbd2d9";
  const x = Math.max(0, Math.min(1, rate)) * (STOPS.length - 1), i = Math.min(STOPS.length - 2, Math.floor(x)), f = x - i;
  const c = STOPS[i].map((v, k) => Math.round(v + (STOPS[i + 1][k] - v) * f));
  return `rgb(${c.join(",")})`;
}

async function getJSON(url) {
  const r = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!r.ok) {
    let detail = r.statusText;
    try { detail = (await r.json()).detail; } catch (e) { /* not JSON */ }
    throw new Error(`${r.status}: ${detail}`);
  }
  return r.json();
}
function showError(e) { const box = $("#error"); box.hidden = false; box.textContent = `เกิดข้อผิดพลาด / Error — ${e.message}`; }
function el(name, attrs = {}, parent = null) {
  const node = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

// ------------------------------------------------------------------ header, KPIs
function renderHeader(d) {
  const sel = $("#round");
  sel.innerHTML = d.rounds.map((r) => `<option value="${esc(r.round)}"${r.round === d.round ? " selected" : ""}>${esc(r.round)}</option>`).join("");
  const b = d.last_build;
  if (b) {
    const run = b.run_name && b.run_name !== "manual"
      ? `<a id="build-run-link" target="_top" data-top href="../dags/dgsa_marts/runs/${encodeURIComponent(b.run_name)}">${esc(b.run_name)}</a>` : esc(b.run_name || "–");
    $("#build").innerHTML = `สร้างมาร์ตล่าสุดเมื่อ <b id="built-at" data-iso="${esc(b.built_at)}">${esc(thaiDate(b.built_at))}</b> จากการรัน ${run}`
      + ` <span class="en">Marts last rebuilt ${esc(new Date(b.built_at).toISOString().slice(0, 16).replace("T", " "))} UTC by run <span id="build-run">${esc(b.run_name || "–")}</span></span>`
      + (b.last_failed_at && b.last_failed_at > b.built_at ? ` <b class="error-inline">· การสร้างครั้งหลังไม่ผ่าน / a later build failed</b>` : "");
  } else {
    $("#build").innerHTML = bi("ยังไม่มีการสร้างมาร์ต", "No mart build recorded yet");
  }
}

function renderKpis(t) {
  const items = [["on_list", "ในบัญชีรายชื่อ", "On the list", fmt(t.on_list)], ["submitted", "ส่งแล้ว", "Submitted", fmt(t.submitted)],
    ["compliant", "ครบถ้วน", "Compliant", fmt(t.compliant)], ["rate", "อัตราครบถ้วน", "Compliance rate", pct(t.compliance_rate)],
    ["missing", "ยังไม่ส่ง", "Missing", fmt(t.missing)], ["not_on_list", "ไม่อยู่ในบัญชี", "Not on the list", fmt(t.not_on_list)],
    ["improved", "พัฒนาขึ้นจากรอบก่อน", "Improved since the last round", fmt(t.people_improved)],
    ["fell_back", "ลดลงจากรอบก่อน", "Fell back since the last round", fmt(t.people_fell_back)]];
  $("#kpis").innerHTML = items.map(([k, th, en, v]) => `<div class="kpi" data-kpi="${k}"><span>${bi(th, en)}</span><b>${v}</b></div>`).join("");
}

// ------------------------------------------------------------------ map
function renderMap(rows) {
  const svg = $("#map"), S = 40, tip = $("#tooltip");
  svg.innerHTML = "";
  const maxCol = Math.max(...rows.map((r) => r.col ?? 0)), maxRow = Math.max(...rows.map((r) => r.row ?? 0));
  svg.setAttribute("viewBox", `0 0 ${(maxCol + 1) * S} ${(maxRow + 1) * S}`);
  svg.setAttribute("width", (maxCol + 1) * S);
  svg.setAttribute("height", (maxRow + 1) * S);
  for (const r of rows) {
    if (r.col === null || r.col === undefined) continue;
    const g = el("g", { class: "tile", "data-code": r.province_code, tabindex: 0 }, svg);
    const rate = r.on_list > 0 ? r.compliance_rate : null;
    el("rect", { x: r.col * S, y: r.row * S, width: S, height: S, rx: 4, fill: colour(rate) }, g);
    const label = el("text", { x: r.col * S + S / 2, y: r.row * S + S / 2 + 4 }, g);
    label.textContent = rate === null ? r.province_code : Math.round(rate * 100);
    el("title", {}, g).textContent = `${r.province_name_th} ${r.province_name_en}: ${pct(rate)}`;
    g.addEventListener("mousemove", (ev) => {
      tip.hidden = false;
      tip.innerHTML = `<b>${esc(r.province_name_th)}</b> ${esc(r.province_name_en)} (${esc(r.province_code)})<br>`
        + `ครบถ้วน / compliant ${fmt(r.compliant)} จาก / of ${fmt(r.on_list)} = ${pct(rate)}<br>`
        + `ยังไม่ส่ง / missing ${fmt(r.missing)} · ล่าช้า / late ${fmt(r.late)} · ไม่ลงนาม / unsigned ${fmt(r.unsigned)}`;
      tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - 290) + "px";
      tip.style.top = ev.clientY + 14 + "px";
    });
    g.addEventListener("mouseleave", () => { tip.hidden = true; });
    g.addEventListener("click", () => select(r.province_code));
    g.addEventListener("keydown", (ev) => { if (ev.key === "Enter") select(r.province_code); });
  }
  $("#legend").innerHTML = `<span>0%</span><span class="bar"></span><span>100%</span> <span class="none"></span> ${bi("ไม่มีรายชื่อ", "nobody on the list")}`;
}

// ------------------------------------------------------------------ table
function renderTable(rows) {
  const { key, dir } = state.sort;
  const sorted = [...rows].sort((a, b) => {
    const x = a[key], y = b[key];
    if (x === y) return a.province_code < b.province_code ? -1 : 1;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : 1) * dir;
  });
  const head = COLS.map(([k, th, en, text]) => `<th data-key="${k}" class="${text ? "text " : ""}${k === key ? (dir > 0 ? "sorted-asc" : "sorted-desc") : ""}">${bi(th, en)}</th>`).join("");
  const body = sorted.map((r) => `<tr data-code="${esc(r.province_code)}"${r.province_code === state.selected ? ' class="selected"' : ""}>`
    + COLS.map(([k, , , text]) => {
      const v = k === "compliance_rate" || k === "share_meeting_all" ? pct(r[k]) : k === "on_track" ? verdict(r[k]) : k === "province_name_th" ? `${esc(r[k])} <span class="en">${esc(r.province_name_en)}</span>` : text ? esc(r[k]) : fmt(r[k]);
      return `<td data-key="${k}"${text ? ' class="text"' : ""}>${v}</td>`;
    }).join("") + "</tr>").join("");
  const table = $("#provinces");
  table.innerHTML = `<thead><tr>${head}</tr></thead><tbody>${body}</tbody>`;
  table.querySelectorAll("th").forEach((th) => th.addEventListener("click", () => {
    const k = th.dataset.key;
    state.sort = { key: k, dir: state.sort.key === k ? -state.sort.dir : (COLS.find((c) => c[0] === k)[3] ? 1 : -1) };
    renderTable(state.data.provinces);
  }));
  table.querySelectorAll("tbody tr").forEach((tr) => tr.addEventListener("click", () => select(tr.dataset.code)));
}

// ------------------------------------------------------------------ charts
function hbars(svg, items, { max, note } = {}) {
  const W = 640, rowH = 30, labelW = 210, barW = W - labelW - 200;
  const clip = (t, n) => (t.length > n ? t.slice(0, n - 1) + "…" : t);
  svg.innerHTML = "";
  svg.setAttribute("viewBox", `0 0 ${W} ${Math.max(1, items.length) * rowH + 6}`);
  const top = max ?? Math.max(1, ...items.map((i) => i.total ?? i.value));
  items.forEach((it, i) => {
    const y = i * rowH + 4, g = el("g", { class: "bar", "data-key": it.key }, svg);
    const t1 = el("text", { x: 0, y: y + 12 }, g); t1.textContent = clip(it.th, 30);
    const t2 = el("text", { x: 0, y: y + 25, class: "val" }, g); t2.textContent = clip(it.en, 34);
    if (it.total !== undefined) el("rect", { x: labelW, y: y + 2, width: barW * (it.total / top), height: 22, fill: "#d9e2ec" }, g);
    el("rect", { x: labelW, y: y + 2, width: Math.max(1, barW * (it.value / top)), height: 22, fill: "#0b6bcb" }, g);
    const v = el("text", { x: labelW + barW * ((it.total ?? it.value) / top) + 6, y: y + 18 }, g);
    v.textContent = note(it);
    el("title", {}, g).textContent = `${it.th} / ${it.en}: ${note(it)}`;
  });
}

function renderTraining(training, scopeLabel) {
  hbars($("#chart-skill"), training.by_skill.map((s) => ({ key: s.skill_code, th: `${s.skill_code} ${s.name_th}`, en: s.name_en,
    value: s.people_below_target, gap: s.avg_gap })), { note: (it) => `${fmt(it.value)} คน / people · gap ${it.gap ?? "–"}` });
  mark("chart_skill");
  hbars($("#chart-group"), training.by_group.map((g) => ({ key: g.target_group, th: g.name_th.replace(/^กลุ่ม/, ""), en: `${g.name_en} (${g.target_group})`,
    value: g.people_below_target, total: g.people_assessed, seats: g.seats })),
  { note: (it) => `${fmt(it.value)} / ${fmt(it.total)} คน · ${fmt(it.seats)} ที่นั่ง seats` });
  mark("chart_group");
  $("#scope-skill").innerHTML = scopeLabel; $("#scope-group").innerHTML = scopeLabel;
}

const verdict = (v) => (v === true ? bi("ตามเป้า", "on track") : v === false ? bi("ต่ำกว่าเป้า", "behind") : "–");

// Progress over rounds: the share meeting every required skill (green line), the on-track line
// (dashed: from the first assessed round's share to 100 % in the goal year), the compliance rate
// (light bars), and under each round the people improved (▲) and fallen back (▼).
function renderProgress(progress, scopeLabel) {
  const svg = $("#chart-progress"), note = $("#progress-note");
  const p0 = progress[0];
  $("#goal").innerHTML = p0 ? `${scopeLabel} · เป้าหมาย: ระดับกำลังพัฒนา (${esc(p0.target_level)}) ภายในปี ${esc(p0.goal_year)} <span class="en">goal: Developing by B.E. ${esc(p0.goal_year)}</span>` : scopeLabel;
  svg.innerHTML = "";
  if (!progress.length) { svg.style.display = "none"; note.hidden = false; note.innerHTML = bi("ยังไม่มีข้อมูล", "No data yet"); $("#progress-table").innerHTML = ""; mark("chart_progress"); return; }
  svg.style.display = ""; note.hidden = progress.length > 1;
  if (progress.length === 1) note.innerHTML = bi(`มีข้อมูลรอบเดียว (${p0.round}): เส้นตามเป้าเริ่มเมื่อมีรอบที่สอง`, `One round so far (${p0.round}): the on-track line starts with the second round`);
  const W = 640, H = 240, left = 44, right = 20, top = 16, base = 200, h = base - top;
  const n = progress.length, step = n > 1 ? (W - left - right - 60) / (n - 1) : 0, X = (i) => left + 30 + i * step, Y = (v) => base - v * h;
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  [0, 0.25, 0.5, 0.75, 1].forEach((v) => { el("line", { x1: left, x2: W - right, y1: Y(v), y2: Y(v), stroke: "#d9e2ec" }, svg); const t = el("text", { x: 4, y: Y(v) + 4, class: "val" }, svg); t.textContent = `${v * 100}%`; });
  progress.forEach((p, i) => {
    const g = el("g", { class: "round" + (p.round === state.data.round ? " chosen" : ""), "data-round": p.round }, svg);
    if (p.round === state.data.round) el("rect", { x: X(i) - 26, y: top - 6, width: 52, height: base - top + 52, fill: "#e3f0ff" }, g);
    if (p.compliance_rate !== null) el("rect", { class: "compliance", x: X(i) - 9, y: Y(p.compliance_rate), width: 18, height: p.compliance_rate * h, fill: "#b7d3f2" }, g);
    const t = el("text", { x: X(i), y: base + 16, "text-anchor": "middle" }, g); t.textContent = `รอบ ${p.round}`;
    const c = el("text", { x: X(i), y: base + 32, "text-anchor": "middle", class: "val changes" }, g);
    c.textContent = p.people_improved === null || p.people_improved === undefined ? "" : `▲${fmt(p.people_improved)} ▼${fmt(p.people_fell_back)}`;
    el("title", {}, g).textContent = `รอบ ${p.round}: ถึงเป้าหมาย / meeting all ${pct(p.share_meeting_all)}; ตามเส้นเป้า / expected ${pct(p.expected_share)}; `
      + `พัฒนาขึ้น / improved ${fmt(p.people_improved)}, ลดลง / fell back ${fmt(p.people_fell_back)}; ส่งครบถ้วน / compliant ${pct(p.compliance_rate)}`;
  });
  const first = progress.findIndex((p) => p.people_assessed > 0);
  const line = first < 0 ? [] : progress.map((p, i) => [i, i === first ? p.share_meeting_all : p.expected_share]).filter(([i, v]) => i >= first && v !== null);
  if (line.length > 1) el("polyline", { class: "on-track", points: line.map(([i, v]) => `${X(i)},${Y(v)}`).join(" "), fill: "none", stroke: "#e07b00", "stroke-width": 2, "stroke-dasharray": "6 4" }, svg);
  line.slice(1).forEach(([i, v]) => { el("circle", { class: "expected", cx: X(i), cy: Y(v), r: 3, fill: "#e07b00" }, svg); });
  const actual = progress.map((p, i) => [i, p.share_meeting_all]).filter(([, v]) => v !== null);
  if (actual.length > 1) el("polyline", { class: "actual", points: actual.map(([i, v]) => `${X(i)},${Y(v)}`).join(" "), fill: "none", stroke: "#1a9850", "stroke-width": 3 }, svg);
  actual.forEach(([i, v]) => {
    el("circle", { class: "actual-point", "data-round": progress[i].round, cx: X(i), cy: Y(v), r: 5, fill: progress[i].on_track === false ? "#d73027" : "#1a9850" }, svg);
    const t = el("text", { x: X(i) + 8, y: Y(v) - 6, class: "share" }, svg); t.textContent = pct(v);
  });
  $("#progress-table").innerHTML = `<thead><tr>${[["รอบ", "Round"], ["ประเมินแล้ว", "Assessed"], ["ถึงเป้าหมายทุกทักษะ", "Meeting all"], ["ตามเส้นเป้า", "On-track line"],
    ["ผล", "Verdict"], ["พัฒนาขึ้น", "Improved"], ["ลดลง", "Fell back"]].map(([th, en], i) => `<th class="${i ? "" : "text"}">${bi(th, en)}</th>`).join("")}</tr></thead><tbody>`
    + progress.map((p) => `<tr data-round="${esc(p.round)}"><td class="text">${esc(p.round)}</td><td data-key="people_assessed">${fmt(p.people_assessed)}</td>`
      + `<td data-key="share_meeting_all">${pct(p.share_meeting_all)}</td><td data-key="expected_share">${pct(p.expected_share)}</td><td data-key="on_track">${verdict(p.on_track)}</td>`
      + `<td data-key="people_improved">${fmt(p.people_improved)}</td><td data-key="people_fell_back">${fmt(p.people_fell_back)}</td></tr>`).join("") + "</tbody>";
  mark("chart_progress");
}

// ------------------------------------------------------------------ selection, follow-up
function renderLowest(rows) {
  const lowest = rows.filter((r) => r.on_list > 0).sort((a, b) => a.compliance_rate - b.compliance_rate || b.missing - a.missing).slice(0, 8);
  $("#detail").innerHTML = `<p>${bi("ชี้หรือคลิกจังหวัดบนแผนที่หรือในตาราง", "Hover or click a province on the map or in the table.")}</p>`
    + `<h3>${bi("อัตราครบถ้วนต่ำสุด", "Lowest compliance")}</h3><ol id="lowest">`
    + lowest.map((r) => `<li><a href="#" data-code="${esc(r.province_code)}">${esc(r.province_name_th)}</a> <span class="en">${esc(r.province_name_en)}</span>`
      + ` — ${pct(r.compliance_rate)}, ${bi(`ยังไม่ส่ง ${fmt(r.missing)}`, `missing ${fmt(r.missing)}`)}</li>`).join("") + "</ol>";
  $("#detail").classList.remove("muted");
  $("#detail").querySelectorAll("#lowest a").forEach((a) => a.addEventListener("click", (ev) => { ev.preventDefault(); select(a.dataset.code); }));
}

async function select(code) {
  state.selected = code;
  document.querySelectorAll("#map .tile").forEach((g) => g.classList.toggle("selected", g.dataset.code === code));
  document.querySelectorAll("#provinces tbody tr").forEach((tr) => tr.classList.toggle("selected", tr.dataset.code === code));
  const r = state.byCode[code];
  $("#detail-title").innerHTML = `${esc(r.province_name_th)} <span class="en">${esc(r.province_name_en)} (${esc(code)})</span>`;
  const rows = [["on_list", "ในบัญชีรายชื่อ", "On the list"], ["submitted", "ส่งแล้ว", "Submitted"], ["compliant", "ครบถ้วน", "Compliant"],
    ["late", "ล่าช้า", "Late"], ["unsigned", "ยังไม่ลงนาม", "Unsigned"], ["group_mismatch", "กลุ่มไม่ตรงบัญชี", "Group mismatch"],
    ["target_mismatch", "ระดับเป้าหมายไม่ตรง", "Target mismatch"], ["missing", "ยังไม่ส่ง", "Missing"], ["not_on_list", "ไม่อยู่ในบัญชี", "Not on the list"]];
  $("#detail").innerHTML = `<dl>${rows.map(([k, th, en]) => `<dt>${bi(th, en)}</dt><dd data-key="${k}">${fmt(r[k])}</dd>`).join("")}`
    + `<dt>${bi("อัตราครบถ้วน", "Compliance rate")}</dt><dd data-key="compliance_rate">${pct(r.on_list ? r.compliance_rate : null)}</dd>`
    + `<dt>${bi("ถึงเป้าหมายทุกทักษะ", "Meeting every target")}</dt><dd data-key="share_meeting_all">${pct(r.share_meeting_all)}</dd>`
    + `<dt>${bi("พัฒนาขึ้นจากรอบก่อน", "Improved since the last round")}</dt><dd data-key="people_improved">${fmt(r.people_improved)}</dd>`
    + `<dt>${bi("ลดลงจากรอบก่อน", "Fell back since the last round")}</dt><dd data-key="people_fell_back">${fmt(r.people_fell_back)}</dd>`
    + `<dt>${bi("ตามเป้า", "On track")}</dt><dd data-key="on_track">${verdict(r.on_track)}</dd></dl>`
    + `<div id="missing-files"></div>`
    + `<button id="open-followup">${bi("รายชื่อที่ต้องติดตาม", "Follow-up list")} (${fmt(r.on_list - r.compliant + r.not_on_list)})</button> `
    + `<button id="whole-country" class="button secondary">${bi("ทั้งประเทศ", "Whole country")}</button>`;
  $("#detail").classList.remove("muted");
  $("#open-followup").addEventListener("click", () => openFollowup(code));
  $("#whole-country").addEventListener("click", () => { renderTraining(state.data.training, bi("ทั้งประเทศ", "whole country")); renderProgress(state.data.progress, bi("ทั้งประเทศ", "whole country")); });
  try {
    const p = await getJSON(`api/provinces/${code}?round=${encodeURIComponent(state.data.round)}`);
    if (state.selected !== code) return;
    const label = `${esc(r.province_name_th)} <span class="en">${esc(r.province_name_en)}</span>`;
    renderTraining(p.training, label);
    renderProgress(p.progress, label);
    renderMissingFiles(p.missing_files);
  } catch (e) { showError(e); }
}

// Files removed from the drive that stay in force (the ledger's missing_since): shown for the province.
function renderMissingFiles(files) {
  const box = $("#missing-files");
  if (!box || !files || !files.length) { if (box) box.innerHTML = ""; return; }
  box.innerHTML = `<h3>${bi("ไฟล์ที่ถูกลบออกจากไดรฟ์ (ยังใช้ผลอยู่)", "Removed from the drive (still in force)")}</h3><ul>`
    + files.map((f) => `<li data-path="${esc(f.rel_path)}"><b>${esc(f.rel_path.split("/").slice(2).join("/") || f.rel_path)}</b> · `
      + `${bi(`หายไปตั้งแต่ ${f.missing_since ? thaiDate(f.missing_since) : "–"}`, `missing since ${esc((f.missing_since || "").slice(0, 10))}`)} · `
      + `${bi(`ยังใช้ผลรอบ ${f.rounds_in_force || "–"} (${fmt(f.rows_loaded)} แถว)`, `in force for ${f.rounds_in_force || "–"}, ${fmt(f.rows_loaded)} rows`)}</li>`).join("")
    + `</ul><p class="muted small">${bi("ถอนได้โดยวิศวกรด้วยคำสั่งที่บันทึกไว้เท่านั้น", "Withdrawn only by an engineer's audited command")}</p>`;
}

const changeLabel = (c) => { const l = (state.data.changes || {})[c]; return l ? bi(l.th, l.en) : esc(c || "–"); };
function historyCell(h) {   // a person's rounds: status, skills met of required, the change
  return h.map((x) => `<span class="hist" data-round="${esc(x.round)}" title="${esc(x.round)}: ${esc(x.status)}${x.change ? " · " + esc(x.change) : ""}${x.province_code ? " · " + esc(x.province_code) : ""}">`
    + `<b>${esc(x.round)}</b> ${bi(...(STATUS[x.status] || [x.status, x.status]))}`
    + (x.skills_met_now !== null && x.skills_met_now !== undefined ? ` · ${x.skills_met_now}/${x.skills_required}` : "")
    + (x.change ? ` · <span class="change ${esc(x.change)}">${changeLabel(x.change)}</span>` : "")
    + "</span>").join(" ");
}

async function openFollowup(code) {
  const round = state.data.round;
  state.followup = code;
  try {
    const f = await getJSON(`api/provinces/${code}/followup?round=${encodeURIComponent(round)}&limit=${SHOW_ROWS}`);
    const p = f.province, href = `api/provinces/${code}/followup.xlsx?round=${encodeURIComponent(round)}`;
    $("#followup-title").innerHTML = `รายชื่อที่ต้องติดตาม: ${esc(p.province_name_th)} รอบ ${esc(round)} <span class="en">Follow-up list: ${esc(p.province_name_en)}, round ${esc(round)}</span>`;
    const shown = f.rows.length < f.total ? ` · แสดง ${fmt(f.rows.length)} คนแรก ไฟล์ .xlsx มีครบทุกคน <span class="en">showing the first ${fmt(f.rows.length)}; the .xlsx has everyone</span>` : "";
    $("#followup-hint").innerHTML = `<span id="followup-total" data-total="${f.total}">${fmt(f.total)}</span> คนยังไม่ครบถ้วน <span class="en">${fmt(f.total)} people not yet compliant</span>${shown} · `
      + `<a id="download-xlsx" class="button" href="${href}" download>ดาวน์โหลด .xlsx <span class="en">download</span></a>`;
    const body = f.rows.map((r) => `<tr data-masked="${esc(r.citizen_id_masked)}"><td class="text">${esc(r.full_name)}</td>`
      + `<td class="text"><span class="status ${esc(r.status)}">${bi(...(STATUS[r.status] || [r.status, r.status]))}</span></td>`
      + `<td class="text" data-key="change">${r.change ? `<span class="change ${esc(r.change)}">${changeLabel(r.change)}</span>` : "–"}`
      + `${r.skills_met_before !== null && r.skills_met_before !== undefined ? ` <small class="muted">(${r.skills_met_before}→${r.skills_met_now ?? "–"}/${r.skills_required})</small>` : ""}</td>`
      + `<td class="text history" data-key="history">${historyCell(r.history || [])}</td>`
      + `<td class="text">${(r.problems || []).map((x) => esc((STATUS[x] || [x])[0])).join(", ")}</td><td class="text mono">${esc(r.citizen_id_masked)}</td>`
      + `<td class="text">${esc(r.unit)}</td><td class="text">${esc(r.position)}</td>`
      + `<td class="text">${esc(r.assigned_group)}</td><td class="text">${esc(r.declared_group)}</td></tr>`).join("");
    $("#followup").innerHTML = `<div class="scroll"><table class="grid" id="followup-table"><thead><tr>`
      + [["ชื่อ-นามสกุล", "Name"], ["สถานะ", "Status"], ["เทียบรอบก่อน (ทักษะที่ถึงเป้า)", "Since the last round (skills met)"],
        ["ประวัติรายรอบ", "History by round"], ["ปัญหาที่พบ", "Problems"], ["เลขประจำตัว (ปิดบัง)", "ID (masked)"],
        ["สังกัด", "Unit"], ["ตำแหน่ง", "Position"], ["กลุ่มตามบัญชี", "Assigned"], ["กลุ่มที่แจ้ง", "Declared"]].map(([th, en]) => `<th class="text">${bi(th, en)}</th>`).join("")
      + `</tr></thead><tbody>${body}</tbody></table></div>`;
    $("#followup-card").scrollIntoView({ behavior: "instant", block: "start" });
  } catch (e) { showError(e); }
}

// Links to Airflow's own pages: inside the UI this page is a sandboxed iframe that may not
// navigate the top window, so move the (same-origin) UI's router instead; opened on its own,
// the link just works.
document.addEventListener("click", (ev) => {
  const a = ev.target.closest("a[data-top]");
  if (!a || window.top === window) return;
  try {
    const url = new URL(a.href);
    window.top.history.pushState(null, "", url.pathname + url.search);
    window.top.dispatchEvent(new PopStateEvent("popstate", { state: null }));
    ev.preventDefault();
  } catch (e) { /* not the same origin: let the browser follow the link */ }
});

// ------------------------------------------------------------------ start
async function load(round) {
  mark("start");
  const d = await getJSON("api/overview" + (round ? `?round=${encodeURIComponent(round)}` : ""));
  mark("overview_fetched");
  state.data = d; state.byCode = Object.fromEntries(d.provinces.map((r) => [r.province_code, r]));
  renderHeader(d); renderKpis(d.totals);
  renderMap(d.provinces); mark("map");
  renderTable(d.provinces); mark("table");
  renderTraining(d.training, bi("ทั้งประเทศ", "whole country"));
  renderProgress(d.progress, bi("ทั้งประเทศ", "whole country"));
  if (state.selected && state.byCode[state.selected]) select(state.selected); else renderLowest(d.provinces);
  if (state.followup && state.byCode[state.followup]) await openFollowup(state.followup);   // the chosen round's list
  document.body.dataset.ready = "1";
  mark("ready");
}
$("#round").addEventListener("change", (ev) => load(ev.target.value).catch(showError));
load(new URLSearchParams(location.search).get("round")).catch((e) => { showError(e); document.body.dataset.ready = "error"; });
