"use strict";
const seats = {};
const queues = {};

function renderSeat(s) {
  seats[s.agent_id] = s;
  let el = document.getElementById(`seat-${s.agent_id}`);
  if (!el) {
    el = document.createElement("div");
    el.id = `seat-${s.agent_id}`;
    document.getElementById("seats").appendChild(el);
  }
  el.className = `seat state-${s.state}`;
  el.dataset.state = s.state;
  if (!el.querySelector(".label")) {
    const label = document.createElement("div");
    label.className = "label";
    el.appendChild(label);
    // listen / whisper / barge from the shift lead's own phone (ChanSpy)
    for (const [mode, text] of [["listen", "监听"], ["whisper", "耳语"], ["barge", "强插"]]) {
      const button = document.createElement("button");
      button.textContent = text;
      button.dataset.mode = mode;
      button.onclick = () => {
        if (!YHT.send({ type: "spy", target: s.agent_id, mode, ref: String(Date.now()) })) return;
        listening = s.agent_id;
        document.getElementById("captions").innerHTML = "";
        YHT.text("listen-seat", s.agent_id);
        document.getElementById("listen-panel").hidden = false;
      };
      el.appendChild(button);
    }
  }
  for (const b of el.querySelectorAll("button")) b.hidden = s.state !== "talking" || s.agent_id === mySeat;
  if (s.sos) el.classList.add("sos");
}
let mySeat = null;
let listening = null;  // the seat whose call this lead listens to (its captions)

function renderQueues() {
  const body = document.getElementById("queues");
  body.innerHTML = "";
  for (const q of Object.values(queues)) {
    const row = document.createElement("tr");
    row.id = `queue-${q.name}`;
    const level = q.answered ? Math.round((100 * q.answered_in_target) / q.answered) + "%" : "-";
    for (const value of [q.name, q.waiting, mmss(secondsSince(q.oldest_join)), level, q.abandoned]) {
      const td = document.createElement("td");
      td.textContent = value;
      row.appendChild(td);
    }
    body.appendChild(row);
  }
}

function tick() {
  for (const s of Object.values(seats)) {
    const el = document.getElementById(`seat-${s.agent_id}`).querySelector(".label");
    const call = s.call_since ? ` · 通话 ${mmss(secondsSince(s.call_since))}` : "";
    const reason = s.reason ? ` (${PAUSE_LABELS[s.reason] || s.reason})` : "";
    el.textContent = `座席 ${s.agent_id} · ${STATE_LABELS[s.state] || s.state}${reason} · ${mmss(secondsSince(s.since))}${call}`;
  }
  renderQueues();
}

function onMessage(m) {
  if (m.type === "hello") mySeat = m.seat;
  else if (m.type === "snapshot") {
    m.seats.forEach(renderSeat);
    if (m.staffing) onMessage(m.staffing);
    for (const a of m.alarms || []) onMessage({ type: "alarm", at: m.at, ...a });
    for (const q of m.queues) queues[q.name] = q;
  } else if (m.type === "seat") {
    renderSeat(m);
    if (m.agent_id === listening && m.state !== "talking") listening = null;
  } else if (m.type === "caption" && m.seat === listening) {
    YHT.caption(document.getElementById("captions"), m);
  }
  else if (m.type === "queue") queues[m.name] = m;
  else if (m.type === "staffing") {
    YHT.text("staffing", `${m.shift} · 计划 ${m.planned} 个座席 · 可接听 ${m.open} 个`);
    document.getElementById("staffing").className = m.open < m.planned ? "alarm" : "";
  }
  else if (m.type === "alarm_clear") {
    const li = document.getElementById(`alarm-${m.key}`);
    if (li) li.remove();
  }
  else if (m.type === "error") YHT.text("status", m.message);
  else if (m.type === "alarm") {
    const old = document.getElementById(`alarm-${m.key}`);
    if (old) old.remove();
    const li = document.createElement("li");
    li.id = `alarm-${m.key}`;
    li.dataset.key = m.key;
    li.className = m.key.startsWith("sos:") ? "alarm sos" : "alarm";
    li.textContent = `${new Date(m.at * 1000).toLocaleTimeString("zh-CN")} ${m.message}`;
    document.getElementById("alarms").prepend(li);
  }
  tick();
}

setInterval(tick, 1000);
enterPage(() => YHT.connect(onMessage, (s) => YHT.text("status", s)));
