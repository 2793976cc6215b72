// The administrators' page: users (create, deactivate, reset a password),
// the organisation tree and the subject taxonomy (add, rename), and the
// knowledge base (create, edit, retire; the desk's search finds an article
// as soon as it is saved).
"use strict";

const TABS = [["users", "用户"], ["units", "组织机构"], ["subjects", "诉求分类"], ["kb", "知识库"]];
const KINDS = { center: "热线中心", street: "街道", community: "社区", grid: "网格", department: "职能部门", provider: "服务企业" };
const emptyUser = () => ({ username: "", display_name: "", role: "agent", unit_id: "", seat: "", password: "" });
const emptyUnit = () => ({ code: "", name: "", kind: "community", parent_id: "", categories: "" });
const emptyArticle = () => ({ id: null, title: "", body: "", subject_code: "" });

document.addEventListener("alpine:init", () => {
  Alpine.data("adminPage", () => ({
    me: null, tab: "users", error: "", message: "",
    users: [], units: [], tree: [], subjects: [], articles: [], resets: {},
    user: emptyUser(), unit: emptyUnit(), subject: { code: "", name: "", parent_code: "" }, article: emptyArticle(),

    async start() {
      this.me = await App.guard("/admin");
      if (this.me) await this.load();
    },

    async load() {
      try {
        [this.users, this.units, this.subjects, this.articles] = await Promise.all([
          App.get("/users"), App.get("/units"), App.get("/subjects"), App.get("/kb"),
        ]);
        this.tree = App.tree(this.units);
      } catch (error) { this.error = error.message; }
    },

    unitName(id) { return id ? (this.units.find((u) => u.id === id) || {}).name || `单位 ${id}` : ""; },

    // one write, then the lists again; the service's own words on failure
    async write(method, path, body, done) {
      this.error = ""; this.message = "";
      try { await App.call(method, path, body); } catch (error) { this.error = error.message; return false; }
      this.message = done;
      await this.load();
      return true;
    },

    async createUser() {
      const u = this.user;
      const body = { username: u.username, display_name: u.display_name, role: u.role, password: u.password };
      if (u.role === "unit_handler") body.unit_id = u.unit_id || null;
      if (u.seat && (u.role === "agent" || u.role === "shift_lead")) body.seat = u.seat;
      if (await this.write("POST", "/users", body, `已新建用户 ${u.username}`)) this.user = emptyUser();
    },
    deactivate(u) { return this.write("POST", `/users/${u.id}/deactivate`, undefined, `已停用 ${u.username}`); },
    async resetPassword(u) {
      if (await this.write("POST", `/users/${u.id}/password`, { password: this.resets[u.id] || "" }, `已重置 ${u.username} 的密码, 其登录已全部退出`)) this.resets[u.id] = "";
    },

    async createUnit() {
      const u = this.unit;
      const body = { code: u.code, name: u.name, kind: u.kind, parent_id: u.parent_id || null,
        categories: u.categories.split(/[,，\s]+/).filter(Boolean) };
      if (await this.write("POST", "/units", body, `已新增单位 ${u.name}`)) this.unit = emptyUnit();
    },
    renameUnit(u) {
      const name = prompt("新名称", u.name);
      if (name && name !== u.name) return this.write("PATCH", `/units/${u.id}`, { name }, `已改名为 ${name}`);
    },

    // the subjects a department takes (派遣 proposes it for them): codes, comma separated
    editCategories(u) {
      const given = prompt(`${u.name} 承办的诉求分类代码 (逗号分隔, 留空为不限)`, u.categories.join(","));
      if (given === null) return;
      const categories = given.split(/[,，\s]+/).filter(Boolean);
      return this.write("PATCH", `/units/${u.id}`, { categories }, `已更新 ${u.name} 的承办分类`);
    },

    async createSubject() {
      const s = this.subject;
      const body = { code: s.code, name: s.name, parent_code: s.parent_code || null };
      if (await this.write("POST", "/subjects", body, `已新增分类 ${s.name}`)) this.subject = { code: "", name: "", parent_code: "" };
    },
    renameSubject(s) {
      const name = prompt("新名称", s.name);
      if (name && name !== s.name) return this.write("PATCH", `/subjects/${encodeURIComponent(s.code)}`, { name }, `已改名为 ${name}`);
    },

    async saveArticle() {
      const a = this.article;
      const body = { title: a.title, body: a.body, subject_code: a.subject_code || null };
      const ok = a.id ? await this.write("PUT", `/kb/${a.id}`, body, `已保存 ${a.title}`)
        : await this.write("POST", "/kb", body, `已新增 ${a.title}`);
      if (ok) this.article = emptyArticle();
    },
    retire(a) { return this.write("DELETE", `/kb/${a.id}`, undefined, `已下线 ${a.title}`); },
  }));
});
