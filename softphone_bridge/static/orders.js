// The order desk of agents and shift leads: the list with its filters and
// search, one order with everything about it, and the actions the API says
// this user may take on it now (the transition table decides; no rule here).
"use strict";

const DIRECT = ["register", "answer_on_spot", "dispatch", "accept", "feedback", "return_for_rework", "close", "reassign"];
const RELATED = { same_caller: "同一来电人", same_address: "同一地址", same_subject: "附近同类诉求" };
const emptyDraft = () => ({ type: "complaint", subject_code: "", urgency: "normal", phone: "", name: "", address: "", content: "" });
const emptyForm = () => ({ unit_id: null, assist: [], note: "", into: "" });

document.addEventListener("alpine:init", () => {
  Alpine.data("ordersPage", () => ({
    me: null, units: [], tree: [], subjects: [], items: [], total: 0, limit: 30, offset: 0,
    f: { q: "", state: "", type: "", urgency: "", due: "", unit_id: "", from: "", to: "" },
    creating: false, draft: emptyDraft(), error: "",
    current: null, events: [], attachments: [], previews: {}, supervision: [], audio: {}, audioNote: {},
    picked: null, form: emptyForm(), actError: "",

    async start() {
      this.me = await App.guard("/orders");
      if (!this.me) return;
      try {
        [this.units, this.subjects] = await Promise.all([App.get("/units"), App.get("/subjects")]);
      } catch (error) { this.error = error.message; }
      this.tree = App.tree(this.units);
      await this.search(0);
      const id = Number(location.hash.slice(1));  // /orders#42 opens order 42 (an id, nothing personal)
      if (id) this.open(id);
      window.addEventListener("hashchange", () => { const n = Number(location.hash.slice(1)); if (n) this.open(n); });
    },

    unitName(id) { return id ? (this.units.find((u) => u.id === id) || {}).name || `单位 ${id}` : "-"; },
    subjectName(code) { return code ? (this.subjects.find((s) => s.code === code) || {}).name || code : "未分类"; },

    async search(offset) {
      this.error = "";
      const f = this.f;
      const day = (d, end) => d ? new Date(`${d}T00:00:00+08:00`).getTime() + (end ? 86400e3 : 0) : null;
      const params = {
        q: f.q.trim(), state: f.state, type: f.type, urgency: f.urgency, unit_id: f.unit_id,
        overdue: f.due === "overdue" ? "true" : "", due_within_h: f.due === "soon" ? 4 : "",
        created_from: f.from ? new Date(day(f.from)).toISOString() : "",
        created_to: f.to ? new Date(day(f.to, true)).toISOString() : "",
        limit: this.limit, offset,
      };
      try {
        const page = await App.get("/orders", params);
        this.items = page.items; this.total = page.total; this.offset = offset;
      } catch (error) { this.error = error.message; }
    },

    async create() {
      this.error = "";
      const d = this.draft;
      const caller = {};
      if (d.phone.trim()) caller.phone = d.phone.trim();
      if (d.name.trim()) caller.name = d.name.trim();
      if (d.address.trim()) caller.address = d.address.trim();
      try {
        const order = await App.post("/orders", { channel: "phone", type: d.type, urgency: d.urgency,
          subject_code: d.subject_code || null, content: d.content, caller });
        this.creating = false; this.draft = emptyDraft();
        await this.search(0);
        await this.open(order.id);
      } catch (error) { this.error = error.message; }
    },

    async open(id) {
      this.actError = ""; this.picked = null; this.form = emptyForm(); this.audio = {}; this.audioNote = {};
      try {
        const [order, events, attachments, supervision] = await Promise.all([
          App.get(`/orders/${id}`), App.get(`/orders/${id}/events`), App.get(`/orders/${id}/attachments`),
          App.get("/supervision", { open_only: "false", order_id: id }).catch(() => []),
        ]);
        this.current = order; this.events = events; this.attachments = attachments;
        this.supervision = supervision;
        this.previews = {};
        for (const a of attachments) if (a.content_type.startsWith("image/")) this.preview(a);
        if (location.hash !== `#${id}`) history.replaceState(null, "", `#${id}`);
      } catch (error) { this.error = error.message; }
    },

    pick(action) { this.picked = this.picked === action ? null : action; this.form = emptyForm(); this.actError = ""; },

    async act() {
      const o = this.current, a = this.picked, f = this.form;
      this.actError = "";
      try {
        if (a === "merge") {
          const found = await App.get("/orders", { q: f.into.trim(), limit: 1 });
          if (!found.items.length) throw new Error(`没有这个工单: ${f.into}`);
          await App.post(`/orders/${o.id}/merge`, { into_order_id: found.items[0].id, version: o.version, note: f.note });
        } else {
          const body = { action: a, version: o.version, note: f.note };
          if (a === "dispatch" || a === "reassign") {
            if (!f.unit_id) throw new Error("请选择主办单位");
            body.unit_id = f.unit_id;
            if (a === "dispatch") body.assist_unit_ids = f.assist.filter((u) => u !== f.unit_id);
          }
          await App.post(`/orders/${o.id}/transitions`, body);
        }
      } catch (error) { this.actError = error.message; return; }
      await this.open(o.id);
      await this.search(this.offset);
    },

    // an attachment (a unit's photo) is fetched with the token and opened from memory
    async download(a) {
      try {
        const blob = await App.call("GET", `/orders/${this.current.id}/attachments/${a.id}`, undefined, { blob: true });
        window.open(URL.createObjectURL(blob), "_blank");
      } catch (error) { this.actError = error.message; }
    },

    // a photo shown small on the order page (fetched with the token, shown from memory)
    async preview(a) {
      try {
        const blob = await App.call("GET", `/orders/${this.current.id}/attachments/${a.id}`, undefined, { blob: true });
        this.previews[a.id] = URL.createObjectURL(blob);
      } catch (error) { /* the link still opens it, or says why not */ }
    },

    // a recording is fetched with the token (never in its URL) and played from memory
    async play(callId) {
      this.audioNote[callId] = "正在载入…";
      try {
        const blob = await App.call("GET", `/recordings/${encodeURIComponent(callId)}/audio`, undefined, { blob: true });
        this.audio[callId] = URL.createObjectURL(blob);
        this.audioNote[callId] = "";
      } catch (error) { this.audioNote[callId] = error.status === 404 ? "没有录音" : error.message; }
    },
  }));
});
