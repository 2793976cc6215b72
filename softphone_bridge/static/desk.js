"use strict";
let currentPop = null;
let seat = null;

function showSeat(s) {
  YHT.text("seat-state", STATE_LABELS[s.state] || s.state);
  YHT.text("seat-reason", s.reason ? `(${PAUSE_LABELS[s.reason] || s.reason})` : "");
  document.getElementById("seat-state").dataset.state = s.state;
}

function showPop(pop) {
  // the same call again (the desk reconnected during it): keep what the agent typed
  if (currentPop && currentPop.call_id === pop.call_id) { currentPop = pop; return; }
  currentPop = pop;
  document.getElementById("pop").hidden = false;
  document.getElementById("sos").hidden = true;
  YHT.text("pop-caller", pop.caller);
  YHT.text("pop-hotline", pop.hotline);
  YHT.text("pop-path", pop.ivr_path);
  YHT.text("pop-category", pop.category);
  YHT.text("pop-repeat", pop.repeat_caller ? "是" : "否");
  YHT.text("pop-order", pop.order_number);
  const form = document.getElementById("draft");
  form.type.value = pop.draft.type;
  form.subject_code.value = pop.draft.subject_code || "";
  form.content.value = pop.draft.content || "";
  form.address.value = "";
  document.getElementById("pop-history").innerHTML = "<li>加载中…</li>";
  YHT.text("draft-result", "");
  YHT.text("transcript-status", "");
  YHT.text("draft-sources", "");
  document.getElementById("transcript").innerHTML = "";
  document.getElementById("recording").hidden = true;
  document.getElementById("captions").innerHTML = "";
  document.getElementById("kb-suggest").innerHTML = "<li>根据市民所说自动推荐</li>";
  document.getElementById("assist").hidden = false;
  citizenSaid = "";
  for (const input of form.elements) { delete input.dataset.auto; input.classList.remove("auto-filled"); }
}

// While the call is up: live captions, the draft filled from what the
// citizen says (fields the agent has not typed in), knowledge-base articles
let citizenSaid = "";
function showCaption(m) {
  if (!currentPop || m.call_id !== currentPop.call_id) return;
  YHT.caption(document.getElementById("captions"), m);
  if (m.draft) fillFromTranscript(m.draft);
  if (m.final && m.leg === "citizen" && m.text) {
    citizenSaid = `${citizenSaid} ${m.text}`.slice(-200);
    suggestArticles(citizenSaid);
  }
}

async function suggestArticles(said) {
  const q = said.trim().slice(-200);
  if (!q) return;
  let found = null;
  try {
    const r = await fetch(`${YHT.ticketing}/kb/search?limit=3&q=${encodeURIComponent(q)}`,
      { headers: { Authorization: `Bearer ${YHT.token()}` } });
    if (r.ok) found = await r.json();
  } catch { found = null; }
  if (found === null || found.length === 0) return;  // keep what was suggested before
  const list = document.getElementById("kb-suggest");
  list.innerHTML = "";
  for (const a of found) {
    const li = document.createElement("li");
    li.textContent = `${a.title}: ${a.body.slice(0, 80)}`;
    list.appendChild(li);
  }
}

// After the call: its recording and transcript (made by the transcription
// workers), and the draft's empty fields filled from what the citizen said,
// each with the words it came from, for the agent to confirm or correct.
const ASR_LABELS = { pending: "转写中, 请稍后再查看", failed: "转写失败" };
async function loadTranscript() {
  if (!currentPop) return;
  const auth = { Authorization: `Bearer ${YHT.token()}` };
  const url = `${YHT.ticketing}/recordings/${encodeURIComponent(currentPop.call_id)}`;
  let r;
  try { r = await fetch(url, { headers: auth }); } catch { r = null; }
  if (!r || r.status !== 200) {
    YHT.text("transcript-status", r && r.status === 404 ? "录音尚未生成 (通话结束后稍候)" : "工单服务暂不可用");
    return;
  }
  const rec = await r.json();
  YHT.text("transcript-status", rec.asr_status === "done" ? `录音 ${rec.duration_s} 秒`
    : `${ASR_LABELS[rec.asr_status] || rec.asr_status} ${rec.asr_note || ""}`);
  const list = document.getElementById("transcript");
  list.innerHTML = "";
  for (const u of rec.transcript || []) {
    const li = document.createElement("li");
    li.className = u.speaker === "市民" ? "citizen" : "agent";
    li.textContent = `${u.speaker}: ${u.text}`;
    list.appendChild(li);
  }
  fillFromTranscript(rec.draft);
  const citizen = (rec.transcript || []).filter((u) => u.speaker === "市民").map((u) => u.text);
  if (citizen.length) suggestArticles(citizen.join(" "));
  if (rec.status === "recorded" && document.getElementById("recording").hidden) {
    const audio = await fetch(`${url}/audio`, { headers: auth });
    if (audio.ok) {
      const player = document.getElementById("recording");
      player.src = URL.createObjectURL(await audio.blob());
      player.hidden = false;
    }
  }
}

function fillFromTranscript(draft) {
  if (!draft) return;
  const form = document.getElementById("draft");
  const sources = [];
  // a field filled here may be filled again as more is said; once the
  // agent types in it, it is theirs
  const fill = (input, field, label) => {
    if (field && (!input.value || input.dataset.auto)) {
      input.value = field.value;
      input.dataset.auto = "1";
      input.classList.add("auto-filled");
      sources.push(`${label} ← ${field.source.join(", ")}`);
    }
  };
  fill(form.subject_code, draft.subject, "分类");
  fill(form.address, draft.address, "地址");
  fill(form.content, draft.summary, "诉求内容");
  for (const phone of draft.phones || []) sources.push(`提到的电话 ${phone.value} ← ${phone.source.join(", ")}`);
  if (draft.urgent) sources.push(`紧急 ← ${draft.urgent.source.join(", ")}`);
  YHT.text("draft-sources", sources.join(" · "));
}
document.getElementById("btn-transcript").onclick = loadTranscript;
document.getElementById("draft").addEventListener("input", (event) => {
  delete event.target.dataset.auto;
  event.target.classList.remove("auto-filled");
});

function showSos(message) {
  if (!currentPop || message.call_id !== currentPop.call_id) return;
  document.getElementById("sos").hidden = false;
  // "failed" is not "unknown": the number may well be registered
  document.getElementById("sos-unknown").hidden = message.lookup !== "unknown";
  document.getElementById("sos-failed").hidden = message.lookup !== "failed";
  const p = message.profile || {};
  YHT.text("sos-name", p.name);
  YHT.text("sos-age", p.age);
  YHT.text("sos-address", p.address);
  YHT.text("sos-location", p.latitude != null ? `${p.latitude}, ${p.longitude}` : "");
  YHT.text("sos-conditions", p.conditions);
  YHT.text("sos-medicines", p.medicines);
  YHT.text("sos-contacts", (p.contacts || [])
    .map((c) => `${c.name}(${c.relation}) ${c.phone}`).join("; "));
  YHT.text("sos-community", [p.community, p.grid, p.worker_name, p.worker_phone]
    .filter(Boolean).join(" · "));
}

function showHistory(message) {
  if (!currentPop || message.call_id !== currentPop.call_id) return;
  const list = document.getElementById("pop-history");
  list.innerHTML = "";
  if (message.history === null) { list.innerHTML = "<li>工单服务暂不可用</li>"; return; }
  if (message.history.length === 0) { list.innerHTML = "<li>无</li>"; return; }
  for (const h of message.history) {
    const li = document.createElement("li");
    li.textContent = `${h.number} ${h.state} ${h.content}`;
    list.appendChild(li);
  }
}

function onMessage(m) {
  if (m.type === "hello") { seat = m.seat; YHT.text("seat-id", m.seat); }
  else if (m.type === "snapshot") {
    m.seats.forEach(showSeat); showQueues(m.queues);
    for (const id of Object.keys(sosWaiting)) delete sosWaiting[id];
    (m.sos_waiting || []).forEach((w) => { sosWaiting[w.call_id] = w.escalated; });
    showSosWaiting();
  }
  else if (m.type === "sos_waiting") { sosWaiting[m.call_id] = m.escalated; showSosWaiting(); }
  else if (m.type === "sos_clear") { delete sosWaiting[m.call_id]; showSosWaiting(); }
  else if (m.type === "seat" && m.agent_id === seat) showSeat(m);
  else if (m.type === "queue") showQueues([m]);
  else if (m.type === "screen_pop") showPop(m);
  else if (m.type === "history") showHistory(m);
  else if (m.type === "sos_profile") showSos(m);
  else if (m.type === "caption") showCaption(m);
  else if (m.type === "ack") YHT.text("command-result", "已执行");
  else if (m.type === "error") YHT.text("command-result", m.message);
}

// SOS calls waiting for any seat: shown on every desk, also while talking,
// so the first agent to finish takes the emergency
const sosWaiting = {};
function showSosWaiting() {
  const ids = Object.keys(sosWaiting);
  const banner = document.getElementById("sos-waiting");
  banner.hidden = ids.length === 0;
  const escalated = ids.some((id) => sosWaiting[id]);
  banner.textContent = ids.length === 0 ? "" :
    `一键呼叫 (SOS) ${ids.length} 个等待接听` + (escalated ? ", 已接通 120" : "") + ": 结束当前通话后立即接听";
}

const queues = {};
function showQueues(list) {
  for (const q of list) queues[q.name] = q;
  YHT.text("queue-summary", Object.values(queues)
    .map((q) => `${q.name} 等待 ${q.waiting}`).join(" · "));
}

function command(type, extra) {
  if (!YHT.send({ type, ref: String(Date.now()), ...extra })) YHT.text("command-result", "未连接");
}

document.getElementById("btn-login").onclick = () => command("login");
document.getElementById("btn-ready").onclick = () => command("ready");
document.getElementById("btn-logout").onclick = () => command("logout");
document.getElementById("btn-pause").onclick = () =>
  command("pause", { reason: document.getElementById("pause-reason").value });

document.getElementById("btn-hangup").onclick = () => command("hangup");
document.getElementById("btn-transfer").onclick = () => {
  const choice = document.getElementById("transfer-target").value;
  const target = choice === "other" ? document.getElementById("transfer-number").value : choice;
  command("transfer", { target });
};
document.getElementById("btn-110").onclick = () => command("transfer", { target: "110" });
document.getElementById("btn-110-party").onclick = () => command("party", { number: "110" });
document.getElementById("btn-120-party").onclick = () => command("party", { number: "120" });
document.getElementById("btn-party").onclick = () =>
  command("party", { number: document.getElementById("party-number").value });

// A draft becomes a work order exactly once: each submission has its own
// Idempotency-Key and stays in this browser (localStorage) until the service
// has answered; while the service is down it is retried with growing pauses
// and shown as pending, also after the page is reloaded.
const PENDING = "yht-pending-drafts";
const pendingDrafts = () => JSON.parse(localStorage.getItem(PENDING) || "[]");
const savePending = (list) => localStorage.setItem(PENDING, JSON.stringify(list));

function showPending() {
  const list = pendingDrafts();
  YHT.text("draft-pending", list.length ? `${list.length} 张工单待提交 (工单服务暂不可用, 自动重试中)` : "");
  document.getElementById("draft-pending").hidden = !list.length;
}

// crypto.getRandomValues works on plain http too (randomUUID needs https)
const newKey = () => "draft-" + Array.from(crypto.getRandomValues(new Uint8Array(16)),
  (b) => b.toString(16).padStart(2, "0")).join("");

async function submitDraft(item) {
  let r;
  try {
    r = await fetch(`${YHT.ticketing}/orders`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${YHT.token()}`,
                 "Idempotency-Key": item.key },
      body: JSON.stringify(item.body),
    });
  } catch (error) {
    return false;  // the service is unreachable: keep it, try again later
  }
  if (r.status >= 500) return false;
  const answer = await r.json().catch(() => ({}));
  savePending(pendingDrafts().filter((p) => p.key !== item.key));
  YHT.text("draft-result", r.ok ? `已创建 ${answer.number}` : `未创建: ${JSON.stringify(answer.detail)}`);
  showPending();
  return true;
}

let retryDelay = 2000;
async function retryPending() {
  let allDone = true;
  for (const item of pendingDrafts()) allDone = (await submitDraft(item)) && allDone;
  retryDelay = allDone ? 2000 : Math.min(retryDelay * 2, 60000);
  setTimeout(retryPending, retryDelay);
}

document.getElementById("draft").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const body = {
    channel: "phone", type: form.type.value, content: form.content.value,
    subject_code: form.subject_code.value || null,
    caller: { phone: currentPop.draft.caller.phone, address: form.address.value || null },
    call: currentPop.draft.call,
  };
  const item = { key: newKey(), body };
  savePending([...pendingDrafts(), item]);
  showPending();
  if (!(await submitDraft(item))) YHT.text("draft-result", "工单服务暂不可用: 草稿已保存, 将自动重试");
});
showPending();
setTimeout(retryPending, retryDelay);

// 零呼损: callers who left the queue unanswered, to call back
const REASONS = { abandoned: "排队中挂机", no_agent: "无人接听", menu: "语音菜单中挂机" };
async function loadMissed() {
  const list = document.getElementById("missed");
  let items;
  try {
    const r = await fetch(`${YHT.ticketing}/missed-calls`,
      { headers: { Authorization: `Bearer ${YHT.token()}` } });
    if (!r.ok) throw new Error(String(r.status));
    items = await r.json();
  } catch (error) {
    list.innerHTML = "<li>工单服务暂不可用</li>";
    return;
  }
  list.innerHTML = items.length ? "" : "<li>无</li>";
  for (const m of items) {
    const li = document.createElement("li");
    li.dataset.callId = m.call_id;
    li.textContent = `${m.caller || "未显示号码"} · ${m.hotline} · ${REASONS[m.reason] || m.reason}` +
      ` · 等待 ${m.waited_s} 秒 `;
    const done = document.createElement("button");
    done.textContent = "已回拨";
    done.onclick = async () => {
      await fetch(`${YHT.ticketing}/missed-calls/${m.id}/done`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${YHT.token()}` },
        body: JSON.stringify({ note: "已回拨" }),
      });
      loadMissed();
    };
    li.appendChild(done);
    list.appendChild(li);
  }
}
document.getElementById("btn-missed").onclick = loadMissed;
setInterval(() => { if (YHT.token()) loadMissed(); }, 30000);

enterPage(() => {
  YHT.connect(onMessage, (s) => YHT.text("status", s));
  loadMissed();
});

// Keyboard shortcuts for what an agent does all shift (shown in the header)
const SHORTCUTS = {
  F2: () => command("ready"),
  F3: () => document.getElementById("btn-pause").click(),
  F4: () => command("hangup"),
  F6: () => command("transfer", { target: "hotline" }),
  F7: () => loadTranscript(),
};
document.addEventListener("keydown", (event) => {
  if (SHORTCUTS[event.key]) {
    event.preventDefault();
    SHORTCUTS[event.key]();
  } else if (event.key === "Enter" && event.ctrlKey && currentPop) {
    event.preventDefault();
    document.getElementById("draft").requestSubmit();
  }
});
