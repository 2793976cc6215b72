// The callback queue (回访) and the missed-call queue of agents and shift
// leads. 拨打 asks the bridge to ring the agent's own seat phone and then the
// citizen (the ACD originates, the hotline's number shown); the number comes
// from the work-order service, never from this page. The verdict is recorded
// here.
"use strict";

const REASONS = { abandoned: "排队放弃", no_agent: "无座席", menu: "导航中挂断" };
const VERDICT_NAMES = { satisfied: "满意", basic: "基本满意", unsatisfied: "不满意" };

document.addEventListener("alpine:init", () => {
  Alpine.data("callbacksPage", () => ({
    me: null, units: [], callbacks: { items: [], total: 0 }, missed: [], notes: {}, error: "",
    seatLine: "", dialStatus: "", refs: 0,

    async start() {
      this.me = await App.guard("/callbacks");
      if (!this.me) return;
      this.seatLine = this.me.seat ? `座席 ${this.me.seat}: 点 “拨打” 先振铃您的话机, 接起后再呼叫市民` : "您没有座席, 不能从本页外呼";
      try { this.units = await App.get("/units"); } catch (error) { this.error = error.message; }
      await this.load();
      if (this.me.seat) YHT.connect((m) => this.onMessage(m), (status) => { this.dialStatus = status; });
    },

    unitName(id) { return id ? (this.units.find((u) => u.id === id) || {}).name || `单位 ${id}` : "-"; },

    async load() {
      try {
        [this.callbacks, this.missed] = await Promise.all([
          App.get("/callbacks", { status: "pending", limit: 100 }), App.get("/missed-calls", { status: "pending" }),
        ]);
      } catch (error) { this.error = error.message; }
    },

    dial(target) {
      const ref = `dial-${++this.refs}`;
      if (!YHT.send({ type: "dial", ref, ...target })) { this.dialStatus = "与话务服务的连接未建立"; return; }
      this.dialStatus = "正在呼叫您的话机…";
    },

    onMessage(m) {
      if (!m.ref || !String(m.ref).startsWith("dial-")) return;
      this.dialStatus = m.type === "ack" ? "您的话机正在振铃, 接起后呼叫市民" : `不能拨打: ${m.message}`;
    },

    async verdict(task, verdict) {
      this.error = "";
      try {
        await App.post(`/callbacks/${task.id}/result`, { verdict, note: this.notes[task.id] || "" });
        this.dialStatus = `已记录 ${task.order_number}: ${VERDICT_NAMES[verdict]}`;
      } catch (error) { this.error = error.message; return; }
      await this.load();
    },

    async calledBack(missed) {
      try { await App.post(`/missed-calls/${missed.id}/done`, { note: "已回拨 (回访页)" }); } catch (error) { this.error = error.message; return; }
      await this.load();
    },
  }));
});
