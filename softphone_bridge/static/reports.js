// The report page: leaders, shift leads and administrators read the call
// figures of a day, week, month or chosen period, against the period before.
"use strict";
// API (the work-order service's address) and App (the log-in gate) are app.js's
const token = () => App.token();
const KPIS = [
  ["rate_in_target", "15 秒接通率", "rate"], ["connect_rate", "接通率", "rate"],
  ["abandon_rate", "放弃率", "rate"], ["offered", "来电量", "count"],
  ["answered", "接通量", "count"], ["asa_s", "平均应答 (秒)", "seconds"],
];
const COLUMNS = [
  ["bucket", "时段"], ["queue", "队列"], ["offered", "来电量"], ["answered", "接通量"],
  ["rate_in_target", "15秒接通率"], ["connect_rate", "接通率"], ["abandoned", "放弃量"],
  ["abandon_rate", "放弃率"], ["asa_s", "平均应答(秒)"], ["aht_s", "平均处理(秒)"],
  ["longest_wait_s", "最长等待(秒)"], ["menu_hangups", "导航挂断"],
];
const RATE_KEYS = new Set(["rate_in_target", "connect_rate", "abandon_rate"]);
const show = (key, v) => v == null ? "-" : RATE_KEYS.has(key) ? `${(v * 100).toFixed(1)}%` : String(v);
const iso = (d) => d.toISOString().slice(0, 10);
// dates are calendar days, kept as UTC midnights whatever the browser's zone
const addDays = (d, n) => { const x = new Date(d); x.setUTCDate(x.getUTCDate() + n); return x; };

function period() {
  const kind = document.getElementById("kind").value;
  const day = new Date(document.getElementById("day").value);
  if (kind === "day") return { start: day, end: addDays(day, 1), group: "hour", name: "日报" };
  if (kind === "week") {
    const monday = addDays(day, -((day.getUTCDay() + 6) % 7));
    return { start: monday, end: addDays(monday, 7), group: "day", name: "周报" };
  }
  if (kind === "month") {
    const first = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), 1));
    const next = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 1));
    return { start: first, end: next, group: "day", name: "月报" };
  }
  const until = new Date(document.getElementById("until").value || iso(day));
  return { start: day, end: addDays(until, 1), group: "day", name: "专报" };
}

function query(p, extra = {}) {
  const q = new URLSearchParams({ start: iso(p.start), end: iso(p.end), group: p.group, ...extra });
  for (const id of ["hotline", "queue"]) {
    const v = document.getElementById(id).value;
    if (v) q.set(id, v);
  }
  return q.toString();
}

async function fetchReport(p) {
  const r = await fetch(`${API}/reports/calls?${query(p)}`, { headers: { Authorization: `Bearer ${token()}` } });
  if (r.status === 401 || r.status === 403) throw new Error("无权查看报表 (领导、值班长、管理员可查看)");
  if (!r.ok) throw new Error(`报表服务错误 ${r.status}`);
  return r.json();
}

async function showReport() {
  const p = period();
  let now;
  try { now = await fetchReport(p); }
  catch (error) { document.getElementById("status").textContent = error.message; return; }
  // the period before (as long, ending where this one starts): the service's
  const prev = { total: now.before };
  const summary = document.getElementById("summary");
  summary.innerHTML = "";
  for (const line of now.summary) {
    const para = document.createElement("p");
    para.textContent = line;
    summary.appendChild(para);
  }
  document.getElementById("status").textContent = "";
  document.getElementById("period").textContent = `${p.name} ${iso(p.start)} 至 ${iso(addDays(p.end, -1))}`;
  const kpis = document.getElementById("kpis");
  kpis.innerHTML = "";
  for (const [key, label] of KPIS) {
    const tile = document.createElement("div");
    tile.className = "kpi";
    tile.dataset.key = key;
    tile.title = now.formulas[key] || "";  // every figure says how it is computed
    const was = prev.total[key];
    const delta = now.total[key] != null && was != null ? now.total[key] - was : null;
    tile.innerHTML = `<div class="label"></div><div class="value"></div><div class="delta"></div>`;
    tile.querySelector(".label").textContent = label;
    tile.querySelector(".value").textContent = show(key, now.total[key]);
    tile.querySelector(".delta").textContent = delta == null ? "上期 -" :
      `比上期 ${delta >= 0 ? "+" : ""}${RATE_KEYS.has(key) ? (delta * 100).toFixed(1) + " 个百分点" : delta.toFixed(key === "asa_s" ? 1 : 0)}`;
    kpis.appendChild(tile);
  }
  const sos = now.sos;
  document.getElementById("sos-line").textContent = sos ? `一键呼叫 ${sos.calls} 次, 座席接听 ${sos.answered} 次` +
    ` (中位 ${sos.to_answer.median_s ?? "-"} 秒, 最长 ${sos.to_answer.longest_s ?? "-"} 秒),` +
    ` 接通 120 ${sos.center_joined} 次 (中位 ${sos.to_center.median_s ?? "-"} 秒)` : "";
  // every call the switch took (CDR), also those that never reached a queue
  const inbound = document.getElementById("inbound-line");
  const n = now.inbound;
  inbound.textContent = `交换机呼入 ${n.inbound_calls} 通 (话单): 应答前挂断 ${n.inbound_unanswered} 通,` +
    ` 一键呼叫 ${n.inbound_sos} 通, 呼入非热线号码 ${n.inbound_other} 通`;
  inbound.title = ["inbound_calls", "inbound_unanswered", "inbound_sos", "inbound_other"]
    .map((k) => now.formulas[k]).join("\n");
  drawChart(now);
  showTopics(iso(addDays(p.end, -1)));
  showRates(p, now.orders);
  showStaffing(iso(addDays(p.end, -1)));
  showSeats(p);
  const head = document.getElementById("thead");
  head.innerHTML = "<tr>" + COLUMNS.map(([k, l]) => `<th title="${now.formulas[k] || ""}">${l}</th>`).join("") + "</tr>";
  const body = document.getElementById("rows");
  body.innerHTML = "";
  for (const row of [...now.rows, { bucket: "合计", queue: "", ...now.total }]) {
    const tr = document.createElement("tr");
    for (const [key] of COLUMNS) {
      const td = document.createElement("td");
      td.textContent = show(key, row[key]);
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

// seats needed per half hour (Erlang C) against the shift plan, for the
// shift lead: the half hours with calls, and those where the plan is short
async function showStaffing(day) {
  document.getElementById("staffing-day").textContent = day;
  const r = await fetch(`${API}/reports/staffing?day=${day}`, { headers: { Authorization: `Bearer ${token()}` } });
  if (!r.ok) return;
  const answer = await r.json();
  document.getElementById("staffing-short").textContent = answer.short.length
    ? `排班不足的时段: ${answer.short.join("、")} (目标: ${answer.target_s} 秒内接通 ${answer.goal * 100}%)` : "";
  const body = document.getElementById("staffing");
  body.innerHTML = "";
  for (const row of answer.rows.filter((x) => x.offered || x.seats_needed > x.planned)) {
    const tr = document.createElement("tr");
    if (row.seats_needed > row.planned) tr.className = "short";
    for (const v of [row.from, row.offered, row.handle_s, row.seats_needed, row.planned]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

// occupancy per seat: handle time over the time it was logged in and not paused
const SEAT_COLUMNS = [["agent", "座席"], ["answered", "接听"], ["handled_s", "处理时长(秒)"],
  ["logged_in_s", "签入时长(秒)"], ["paused_s", "示忙时长(秒)"], ["occupancy", "占用率"]];
async function showSeats(p) {
  const q = new URLSearchParams({ start: iso(p.start), end: iso(p.end) });
  const r = await fetch(`${API}/reports/seats?${q}`, { headers: { Authorization: `Bearer ${token()}` } });
  if (!r.ok) return;
  const answer = await r.json();
  document.getElementById("seats-head").innerHTML = "<tr>" + SEAT_COLUMNS.map(([k, l]) =>
    `<th title="${answer.formulas[k] || ""}">${l}</th>`).join("") + "</tr>";
  const body = document.getElementById("seats");
  body.innerHTML = "";
  for (const row of answer.seats) {
    const tr = document.createElement("tr");
    for (const [k] of SEAT_COLUMNS) {
      const td = document.createElement("td");
      td.textContent = k === "occupancy" ? (row[k] == null ? "-" : `${(row[k] * 100).toFixed(1)}%`) : row[k];
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

// 三率 per unit and the missed-call callbacks, each with its definition
const RATE_COLUMNS = [["key", ""], ["dispatched", "派遣"], ["response_rate", "响应率"],
  ["due", "到期"], ["closure_rate", "办结率"], ["evaluated", "回访评价"], ["satisfaction_rate", "满意率"]];
// (per unit they come with the call report: `given`; otherwise asked for)
async function showRates(p, given) {
  const by = document.getElementById("rates-by").value;
  const q = new URLSearchParams({ start: iso(p.start), end: iso(p.end), by });
  RATE_COLUMNS[0][1] = { unit: "承办单位", subject: "诉求分类", area: "片区" }[by];
  let answer = by === "unit" ? given : null;
  if (!answer) {
    const r = await fetch(`${API}/reports/orders?${q}`, { headers: { Authorization: `Bearer ${token()}` } });
    if (!r.ok) return;
    answer = await r.json();
  }
  const rate = (v) => v == null ? "-" : `${(v * 100).toFixed(1)}%`;
  document.getElementById("rates-head").innerHTML = "<tr>" + RATE_COLUMNS.map(([k, l]) =>
    `<th title="${answer.formulas[k] || ""}">${l}</th>`).join("") + "</tr>";
  const body = document.getElementById("rates");
  body.innerHTML = "";
  for (const row of [...answer.rows.filter((x) => x.dispatched || x.due || x.evaluated), { key: "合计", ...answer.total }]) {
    const tr = document.createElement("tr");
    for (const [k] of RATE_COLUMNS) {
      const td = document.createElement("td");
      td.textContent = k.endsWith("_rate") ? rate(row[k]) : row[k];
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
  const m = answer.missed_calls;
  const line = document.getElementById("missed-line");
  line.title = `${answer.formulas.called_back_share}; ${answer.formulas.callback_minutes}`;
  line.textContent = m ? `未接来电 ${m.missed} 个, 已回拨 ${rate(m.called_back_share)}, 回拨用时中位数 ${m.callback_minutes_median ?? "-"} 分钟` : "";
}

// the last day of the period: its subjects against the same weekday of the
// four weeks before, and any surge with the words behind it
async function showTopics(day) {
  document.getElementById("topics-day").textContent = day;
  const r = await fetch(`${API}/reports/topics?day=${day}`, { headers: { Authorization: `Bearer ${token()}` } });
  if (!r.ok) return;
  const answer = await r.json();
  const surges = document.getElementById("surges");
  surges.innerHTML = "";
  surges.title = answer.rule;
  for (const s of answer.surges) {
    const div = document.createElement("div");
    div.className = "alarm surge";
    div.textContent = `激增: ${s.name || s.subject} ${s.count} 件 (前四周同日均值 ${s.baseline}) · 关键词: ${s.keywords.join("、")}`;
    surges.appendChild(div);
  }
  const body = document.getElementById("topics");
  body.innerHTML = "";
  const areas = document.getElementById("areas");
  areas.title = answer.area_rule;
  areas.textContent = answer.areas.length ? "按片区: " + answer.areas.map((a) => `${a.area} ${a.count} 件`).join("、") : "";
  for (const t of answer.subjects.slice(0, 10)) {
    const tr = document.createElement("tr");
    for (const v of [t.name || t.subject, t.count, t.baseline]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

function drawChart(report) {
  const buckets = [...new Set(report.rows.map((r) => r.bucket))];
  const sum = (key) => buckets.map((b) => report.rows.filter((r) => r.bucket === b).reduce((s, r) => s + r[key], 0));
  const offered = sum("offered"), answered = sum("answered"), inTarget = sum("answered_in_target");
  const short = sum("short_abandoned");  // the same formula as the tiles
  const rate = buckets.map((_, i) => offered[i] - short[i] > 0
    ? +(100 * inTarget[i] / (offered[i] - short[i])).toFixed(1) : null);
  const chart = echarts.getInstanceByDom(document.getElementById("chart"))
    || echarts.init(document.getElementById("chart"), null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
    tooltip: { trigger: "axis" },
    legend: { data: ["来电量", "接通量", "15秒接通率 (%)"] },
    xAxis: { type: "category", data: buckets.map((b) => b.slice(5)) },
    yAxis: [{ type: "value", name: "通" }, { type: "value", name: "%", max: 100 }],
    series: [
      { name: "来电量", type: "bar", data: offered },
      { name: "接通量", type: "bar", data: answered },
      { name: "15秒接通率 (%)", type: "line", yAxisIndex: 1, data: rate },
    ],
  }, true);
}

async function download(ext) {
  const r = await fetch(`${API}/reports/calls.${ext}?${query(period())}`, { headers: { Authorization: `Bearer ${token()}` } });
  if (!r.ok) { document.getElementById("status").textContent = `导出失败 ${r.status}`; return; }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await r.blob());
  link.download = `来电报表-${iso(period().start)}.${ext}`;
  link.click();
}

// "today" in the center's time zone (the reports' days are Beijing days)
document.getElementById("day").value = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai" }).format(new Date());
document.getElementById("kind").onchange = () => {
  document.getElementById("until-label").hidden = document.getElementById("kind").value !== "special";
};
document.getElementById("btn-show").onclick = showReport;
document.getElementById("rates-by").onchange = () => showRates(period());
document.getElementById("btn-xlsx").onclick = () => download("xlsx");
document.getElementById("btn-pdf").onclick = () => download("pdf");
App.guard(location.pathname).then((me) => { if (me) showReport(); });
