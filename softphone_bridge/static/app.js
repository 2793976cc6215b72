// Shared by the work-order pages (orders, callbacks, ledger, unit, admin and
// the entry page): the token (sessionStorage, never in a URL), calls to the
// work-order API with a clear error, who is logged in, the menu of the pages
// this role may open, and the refusal of a page the role may not see.
"use strict";

const API = document.querySelector('meta[name="yht-ticketing"]').content;

// the start page of each role, and the pages each role may open
const START = { agent: "/desk", shift_lead: "/ledger", unit_handler: "/unit", leader: "/reports", admin: "/admin" };
const MENU = [
  ["/desk", "话务台", ["agent", "shift_lead"]],
  ["/orders", "工单", ["agent", "shift_lead"]],
  ["/callbacks", "回访与回拨", ["agent", "shift_lead"]],
  ["/ledger", "督办台账", ["shift_lead"]],
  ["/seatmap", "座席地图", ["shift_lead", "admin"]],
  ["/unit", "本单位工单", ["unit_handler"]],
  ["/reports", "报表", ["leader", "shift_lead", "admin"]],
  ["/admin", "系统管理", ["admin"]],
  ["/", "账户", ["agent", "shift_lead", "unit_handler", "leader", "admin"]],
];
const ROLE_NAMES = { agent: "话务员", shift_lead: "值班长", unit_handler: "承办人", leader: "领导", admin: "管理员" };
const STATE_NAMES = {
  intake: "受理", case: "立案", dispatched: "已派遣", processing: "办理中", feedback: "已反馈",
  closed: "已办结", evaluated: "已评价", merged: "已并案",
};
const TYPE_NAMES = { consultation: "咨询", help: "求助", complaint: "投诉", report: "举报", suggestion: "建议", praise: "表扬" };
const URGENCY_NAMES = { normal: "一般", urgent: "紧急" };
const ACTION_NAMES = {
  intake: "受理", register: "立案", answer_on_spot: "即时办结", dispatch: "派遣", accept: "签收", feedback: "反馈",
  return_for_rework: "退回重办", close: "结案", reassign: "改派", evaluate: "评价", reopen: "重办",
  merge: "并案", request_reassign: "申请改派", create: "受理", update: "修改", supervise: "督办",
};

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

const App = {
  token() { return sessionStorage.getItem("yht-token"); },

  // one call to the work-order API; an error carries the service's own words
  async call(method, path, body, extra = {}) {
    const headers = { Authorization: `Bearer ${App.token()}`, ...(extra.headers || {}) };
    let payload;
    if (body instanceof Blob) payload = body;
    else if (body !== undefined) { headers["Content-Type"] = "application/json"; payload = JSON.stringify(body); }
    let r;
    try {
      r = await fetch(`${API}${path}`, { method, headers, body: payload });
    } catch (error) {
      throw new ApiError(0, "工单服务不可用, 请稍后重试");
    }
    if (r.status === 401) {
      sessionStorage.removeItem("yht-token");
      sessionStorage.removeItem("yht-me");
      throw new ApiError(401, "登录已失效, 请重新登录");
    }
    if (!r.ok) {
      let detail = `服务错误 ${r.status}`;
      try { const j = await r.json(); detail = typeof j.detail === "string" ? j.detail : (j.message || JSON.stringify(j.detail)); } catch (e) { /* not JSON */ }
      throw new ApiError(r.status, detail);
    }
    if (extra.blob) return r.blob();
    return r.status === 204 ? null : r.json();
  },
  get(path, params) {
    const q = params ? "?" + new URLSearchParams(Object.entries(params).filter(([, v]) => v !== "" && v != null)) : "";
    return App.call("GET", path + q);
  },
  post(path, body) { return App.call("POST", path, body); },

  async login(username, password) {
    const r = await fetch(`${API}/auth/token`, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username, password }),
    });
    if (r.status === 429) throw new Error("尝试过于频繁, 请稍后再试");
    if (!r.ok) throw new Error("用户名或密码错误");
    sessionStorage.setItem("yht-token", (await r.json()).access_token);
    sessionStorage.removeItem("yht-me");
    return App.me();
  },

  async me() {
    const kept = sessionStorage.getItem("yht-me");
    if (kept) return JSON.parse(kept);
    const me = await App.get("/auth/me");
    sessionStorage.setItem("yht-me", JSON.stringify(me));
    return me;
  },

  // the token ends on the server too (a copied token is no use after 退出);
  // the page forgets it whether or not the service answered
  async logout() {
    try { await App.post("/auth/logout"); } catch (e) { /* expired already, or unreachable */ }
    sessionStorage.removeItem("yht-token");
    sessionStorage.removeItem("yht-me");
    location.href = "/";
  },

  // the page's gate: not logged in -> the entry page (it comes back here);
  // a role that may not see the page -> says so, shows nothing else
  async guard(path) {
    if (!App.token()) { location.href = `/?next=${encodeURIComponent(path)}`; return null; }
    let me;
    try { me = await App.me(); } catch (error) { location.href = `/?next=${encodeURIComponent(path)}`; return null; }
    App.nav(me);
    const entry = MENU.find(([p]) => p === path);
    if (entry && !entry[2].includes(me.role)) {
      document.querySelector("main").innerHTML = "";
      const p = document.createElement("p");
      p.className = "refused panel";
      p.textContent = `此页面仅供${entry[2].map((r) => ROLE_NAMES[r]).join("、")}使用; 您的角色是${ROLE_NAMES[me.role] || me.role}。`;
      document.querySelector("main").appendChild(p);
      return null;
    }
    return me;
  },

  nav(me) {
    const nav = document.getElementById("nav");
    if (!nav) return;
    nav.innerHTML = "";
    for (const [path, label, roles] of MENU) {
      if (!roles.includes(me.role)) continue;
      const a = document.createElement("a");
      a.href = path;
      a.textContent = label;
      if (path === location.pathname) a.className = "here";
      nav.appendChild(a);
    }
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = `${me.display_name} (${ROLE_NAMES[me.role] || me.role})`;
    const out = document.createElement("button");
    out.type = "button";
    out.textContent = "退出";
    out.onclick = App.logout;
    nav.append(who, out);
  },

  // dates in the center's time zone, as people read them
  time(iso) {
    if (!iso) return "-";
    return new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false,
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
  },
  // "还剩 3 小时" / "超期 2 小时"
  due(iso) {
    if (!iso) return "";
    const hours = (new Date(iso) - Date.now()) / 3600e3;
    const n = Math.abs(hours) >= 48 ? `${Math.round(Math.abs(hours) / 24)} 天` : `${Math.max(1, Math.round(Math.abs(hours)))} 小时`;
    return hours >= 0 ? `还剩 ${n}` : `超期 ${n}`;
  },
  // how long ago: "12 分钟" / "3 小时" / "2 天"
  since(iso) {
    const minutes = Math.max(0, (Date.now() - new Date(iso)) / 60e3);
    if (minutes < 60) return `${Math.round(minutes)} 分钟`;
    return minutes < 48 * 60 ? `${Math.round(minutes / 60)} 小时` : `${Math.round(minutes / 1440)} 天`;
  },
  state: (s) => STATE_NAMES[s] || s,
  type: (t) => TYPE_NAMES[t] || t,
  urgency: (u) => URGENCY_NAMES[u] || u,
  action: (a) => ACTION_NAMES[a] || a,

  // the organisation tree as nested rows (indent by depth), for pickers
  tree(units) {
    const children = {};
    for (const u of units) (children[u.parent_id ?? 0] ||= []).push(u);
    const rows = [];
    const walk = (parent, depth) => {
      for (const u of children[parent] || []) { rows.push({ ...u, depth }); walk(u.id, depth + 1); }
    };
    walk(0, 0);
    return rows;
  },
};
