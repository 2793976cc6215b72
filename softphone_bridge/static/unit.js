// The unit handlers' page, made for a phone (a grid worker's handheld): their
// unit's orders by urgency and deadline, accept (签收), feedback with text and
// photos from the camera (scaled down on the phone before upload, so a slow
// connection carries a few hundred KB, not megabytes), a reassign request.
// The API shows them their unit's orders only, with masked numbers.
"use strict";

const PHOTO_MAX_PX = 1280;  // the longer side after scaling
const PHOTO_QUALITY = 0.8;

// an image file -> a JPEG blob whose longer side is at most PHOTO_MAX_PX
async function scaleDown(file) {
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, PHOTO_MAX_PX / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close();
  return new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", PHOTO_QUALITY));
}

document.addEventListener("alpine:init", () => {
  Alpine.data("unitPage", () => ({
    me: null, tab: "todo", items: [], current: null, mode: null, note: "", reason: "",
    photos: [], photoNote: "", busy: false, error: "", done: "",

    async start() {
      this.me = await App.guard("/unit");
      if (this.me) await this.load();
    },

    async load() {
      this.error = "";
      const states = this.tab === "todo" ? ["dispatched", "processing"] : ["feedback"];
      try {
        const pages = await Promise.all(states.map((state) => App.get("/orders", { state, sort: "due", limit: 100 })));
        // urgent first, then the nearest time limit
        this.items = pages.flatMap((p) => p.items).sort((a, b) =>
          (b.urgency === "urgent") - (a.urgency === "urgent") || (a.due_at || "9").localeCompare(b.due_at || "9"));
      } catch (error) { this.error = error.message; }
    },

    async open(order) {
      this.mode = null; this.note = ""; this.reason = ""; this.photos = []; this.photoNote = ""; this.done = "";
      try { this.current = await App.get(`/orders/${order.id}`); } catch (error) { this.error = error.message; }
    },

    async accept() {
      try {
        await App.post(`/orders/${this.current.id}/transitions`, { action: "accept", version: this.current.version });
        this.done = "已签收";
        this.current = await App.get(`/orders/${this.current.id}`);
      } catch (error) { this.error = error.message; }
    },

    async addPhotos(event) {
      for (const file of event.target.files) {
        const blob = await scaleDown(file);
        this.photos.push({ blob, url: URL.createObjectURL(blob), name: file.name.replace(/\.[^.]*$/, "") + ".jpg" });
      }
      const kb = Math.round(this.photos.reduce((s, p) => s + p.blob.size, 0) / 1024);
      this.photoNote = `${this.photos.length} 张照片, 共 ${kb} KB (已在手机上压缩)`;
      event.target.value = "";
    },

    async feedback() {
      this.busy = true; this.error = "";
      try {
        for (const [i, p] of this.photos.entries()) {
          await App.call("POST", `/orders/${this.current.id}/attachments?filename=${encodeURIComponent(`现场照片-${i + 1}-${p.name}`)}`,
            p.blob, { headers: { "Content-Type": "image/jpeg" } });
        }
        await App.post(`/orders/${this.current.id}/transitions`, { action: "feedback", version: this.current.version, note: this.note });
        this.done = "反馈已提交";
        this.mode = null;
        this.current = await App.get(`/orders/${this.current.id}`);
      } catch (error) { this.error = error.message; }
      this.busy = false;
    },

    async requestReassign() {
      try {
        await App.post(`/orders/${this.current.id}/reassign-requests`, { reason: this.reason });
        this.done = "改派申请已提交, 等待热线中心决定 (工单仍由本单位办理)";
        this.mode = null;
      } catch (error) { this.error = error.message; }
    },
  }));
});
