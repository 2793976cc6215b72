// Shared by the agent desk and the seat map: keep one websocket to the bridge
// open, reconnect after a blip. The log-in is the entry page's (app.js).
"use strict";

const YHT = {
  ticketing: API,  // app.js
  socket: null,
  retryMs: 500,
  handlers: {},

  token: () => App.token(),

  connect(onMessage, onStatus) {
    const url = `ws://${location.host}/`;
    const ws = new WebSocket(url);
    YHT.socket = ws;
    ws.onopen = () => {
      YHT.retryMs = 500;
      ws.send(JSON.stringify({ type: "auth", token: YHT.token() }));
      onStatus("已连接");
    };
    ws.onmessage = (event) => onMessage(JSON.parse(event.data));
    ws.onclose = (event) => {
      if (event.code === 4401) {  // no or bad token: log in again
        onStatus("未授权, 请重新登录");
        sessionStorage.removeItem("yht-token");
        sessionStorage.removeItem("yht-me");
        location.href = `/?next=${encodeURIComponent(location.pathname)}`;
        return;
      }
      if (event.code === 4403) {  // this user may not use this page (no seat, wrong role)
        onStatus(event.reason && event.reason !== "refused" ? event.reason : "无权使用此页面 (需要座席)");
        return;
      }
      onStatus("连接中断, 正在重连…");
      setTimeout(() => YHT.connect(onMessage, onStatus), YHT.retryMs);
      YHT.retryMs = Math.min(YHT.retryMs * 2, 10000);
    };
  },

  send(message) {
    if (YHT.socket && YHT.socket.readyState === WebSocket.OPEN) {
      YHT.socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  },

  text(id, value) { document.getElementById(id).textContent = value ?? ""; },

  // Live captions: each leg's partial line is rewritten as the recognizer
  // goes; a final line stays, and the leg's next words start a new one.
  caption(list, m) {
    if (m.note) {
      const li = document.createElement("li");
      li.className = "note";
      li.textContent = m.note;
      list.appendChild(li);
      return;
    }
    let line = list.querySelector(`li.partial[data-leg="${m.leg}"]`);
    if (!line) {
      if (!m.text) return;
      line = document.createElement("li");
      line.dataset.leg = m.leg;
      list.appendChild(line);
    }
    if (!m.text) { line.remove(); return; }
    line.className = `${m.final ? "final" : "partial"} ${m.leg}`;
    line.textContent = `${m.leg === "citizen" ? "市民" : "话务员"}: ${m.text}`;
    line.scrollIntoView({ block: "nearest" });
  },
};

const STATE_LABELS = {
  logged_out: "未登录", ready: "空闲", ringing: "振铃", talking: "通话中",
  wrapup: "话后处理", paused: "小休", unreachable: "话机离线",
};
const PAUSE_LABELS = { break: "休息", training: "培训", meeting: "会议", after_call_work: "事后处理" };

function secondsSince(epoch) { return epoch ? Math.max(0, Math.floor(Date.now() / 1000 - epoch)) : 0; }
function mmss(seconds) {
  const m = Math.floor(seconds / 60), s = seconds % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

// The page's gate (app.js): not logged in -> the entry page, which sends the
// user back here; a role that may not open the page is told so.
async function enterPage(onLoggedIn) {
  const me = await App.guard(location.pathname);
  if (me) onLoggedIn(me);
}
