// The shift lead's ledger: open supervision items by rung of the ladder, the
// units' reassign requests to decide, duplicate candidates side by side with
// a merge button, and the providers' ranking of the year.
"use strict";

const REASONS = { same_caller: "同一来电人", same_address: "同一地址" };

document.addEventListener("alpine:init", () => {
  Alpine.data("ledgerPage", () => ({
    me: null, units: [], tree: [], rungs: [], requests: [], decisions: {}, duplicates: [], ranking: [],
    year: new Date().getFullYear(), years: [], error: "",

    async start() {
      this.me = await App.guard("/ledger");
      if (!this.me) return;
      const now = new Date().getFullYear();
      this.years = [now, now - 1, now - 2];
      try { this.units = await App.get("/units"); } catch (error) { this.error = error.message; }
      this.tree = App.tree(this.units);
      await Promise.all([this.load(), this.loadRanking()]);
    },

    unitName(id) { return id ? (this.units.find((u) => u.id === id) || {}).name || `单位 ${id}` : "-"; },

    async load() {
      try {
        const [items, requests, duplicates] = await Promise.all([
          App.get("/supervision", { limit: 500 }), App.get("/reassign-requests"), App.get("/duplicate-candidates"),
        ]);
        const byLevel = {};
        for (const s of items) (byLevel[s.level] ||= { level: s.level, name: s.name, items: [] }).items.push(s);
        this.rungs = Object.values(byLevel).sort((a, b) => b.level - a.level);
        this.requests = requests;
        this.duplicates = duplicates;
      } catch (error) { this.error = error.message; }
    },

    async loadRanking() {
      try { this.ranking = await App.get("/providers/ranking", { year: this.year }); } catch (error) { this.error = error.message; }
    },

    async scan() {
      try { await App.post("/supervision/scan"); } catch (error) { this.error = error.message; return; }
      await this.load();
    },

    async decide(request, approve) {
      this.error = "";
      const body = { approve, version: request.order_version, note: approve ? "同意改派" : "不同意改派, 请继续办理" };
      if (approve) {
        if (!this.decisions[request.id]) { this.error = "请先选择改派给哪个单位"; return; }
        body.unit_id = this.decisions[request.id];
      }
      try { await App.post(`/orders/${request.order_id}/reassign-requests/${request.id}/decision`, body); }
      catch (error) { this.error = error.message; return; }
      await this.load();
    },

    async merge(pair) {
      this.error = "";
      try {
        await App.post(`/orders/${pair.order.id}/merge`, { into_order_id: pair.other.id, version: pair.order.version, note: "值班长并案" });
      } catch (error) { this.error = error.message; return; }
      await this.load();
    },
  }));
});
