// The one entry point: log in, then go to the page the role starts on (or the
// page that sent the user here, if the role may open it); change a password.
"use strict";

document.addEventListener("alpine:init", () => {
  Alpine.data("entryPage", () => ({
    me: null, username: "", password: "", error: "",
    old: "", fresh: "", passwordMessage: "", passwordOk: false,

    async start() {
      if (!App.token()) return;
      try { this.me = await App.me(); App.nav(this.me); } catch (error) { this.me = null; }
    },
    async logIn() {
      this.error = "";
      try {
        this.me = await App.login(this.username, this.password);
      } catch (error) { this.error = error.message; return; }
      location.href = this.next() || this.startOf(this.me);
    },
    // back to the page that asked for the log-in, when this role may open it
    next() {
      const path = new URLSearchParams(location.search).get("next");
      const entry = MENU.find(([p]) => p === path);
      return entry && entry[2].includes(this.me.role) ? path : null;
    },
    // an agent without a seat phone has no desk: their orders instead
    startOf: (me) => (me.role === "agent" && !me.seat ? "/orders" : START[me.role]) || "/",
    roleName: (role) => ROLE_NAMES[role] || role,
    async changePassword() {
      try {
        await App.post("/auth/password", { old_password: this.old, new_password: this.fresh });
        this.passwordOk = true;
        this.passwordMessage = "密码已修改, 其他登录已退出";
        this.old = this.fresh = "";
      } catch (error) { this.passwordOk = false; this.passwordMessage = error.message; }
    },
  }));
});
