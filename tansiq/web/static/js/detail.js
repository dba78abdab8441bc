// One incident: its record, timeline and units, and every action on it. Edits are sent with the
// version they were made against (If-Match); a colleague's newer change answers 412, which is
// explained and the fresh record shown.
import { call } from "./api.js";
import { t, label, num, id as fmtId, dateTime, named, problemText, language } from "./i18n.js";
import { h } from "./dom.js";

const REFRESH_MS = 150;

export class Detail {
  constructor(el, { state, toast, onClose, onShow }) {
    this.el = el;
    this.state = state;
    this.toast = toast;
    this.onClose = onClose;
    this.onShow = onShow;
    this.current = null;
    this.formVersion = null;
    this.timeline = [];
    this.assignments = [];
    this.candidates = null;
    this.notice = "";
    this.timer = null;
  }

  can(permission) { return this.state.me.permissions.includes(permission); }

  async fetchAll(incidentId) {
    const [incident, timeline, assignments] = await Promise.all([
      call("GET", `/api/v1/incidents/${incidentId}`),
      call("GET", `/api/v1/incidents/${incidentId}/timeline`),
      call("GET", `/api/v1/incidents/${incidentId}/assignments`),
    ]);
    if (!incident.ok) return incident;
    this.current = incident.body;
    this.timeline = timeline.ok ? timeline.body : [];
    this.assignments = assignments.ok ? assignments.body : [];
    this.candidates = null;
    if (this.can("units:assign") && this.current.next_statuses.length) {
      const recs = await call("GET", `/api/v1/incidents/${incidentId}/recommendations?k=8`);
      this.candidates = recs.ok ? recs.body.units : [];
    }
    this.onShow(this.current);
    return incident;
  }

  async open(incidentId) {
    const r = await this.fetchAll(incidentId);
    if (!r.ok) {
      this.toast(problemText(r.body), "error");
      return;
    }
    this.formVersion = this.current.version;
    this.notice = "";
    this.render();
    this.el.hidden = false;
    this.el.querySelector("h2").focus();
  }

  close() {
    this.current = null;
    this.el.hidden = true;
    this.el.replaceChildren();
    this.onClose();
  }

  // The feed says the open incident changed: show the new record, keep what the user is typing.
  changedElsewhere() {
    clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      if (!this.current) return;
      const r = await this.fetchAll(this.current.id);
      if (!r.ok) return this.close();
      if (this.current.version !== this.formVersion && this.editDirty()) {
        this.notice = t("console.detail.changed_elsewhere");
      } else {
        this.formVersion = this.current.version;
        this.resetEditForm();
      }
      this.renderLive();
    }, REFRESH_MS);
  }

  editDirty() {
    const form = this.el.querySelector("#edit-form");
    if (!form) return false;
    return [...form.elements].some((el) => el.name && el.value !== (el.dataset.initial ?? ""));
  }

  render() {
    const incident = this.current;
    this.el.replaceChildren(...[
      h("div", { class: "row" },
        h("h2", { id: "detail-h", tabindex: "-1" }, t("console.detail.heading", { id: fmtId(incident.id) })),
        this.button(t("console.close"), () => this.close(), { id: "detail-close" })),
      h("div", { id: "detail-live" }),
      this.can("incidents:update") ? this.editForm() : null,
      this.can("incidents:note") ? this.noteForm() : null,
      this.can("records:share") ? h("div", { id: "detail-share" }) : null,
      h("h3", {}, t("console.detail.timeline")),
      h("ol", { class: "timeline", id: "detail-timeline" }),
    ].filter(Boolean));
    this.renderLive();
  }

  renderLive() {
    const incident = this.current;
    const live = this.el.querySelector("#detail-live");
    if (!live) return;
    const type = named(this.state.types.get(incident.type)) || incident.type;
    const agency = (code) => named(this.state.agencies.get(code)) || code;
    const row = (key, value) => [h("dt", {}, t(key)), h("dd", {}, value || "—")];
    live.replaceChildren(...[
      this.notice ? h("p", { class: "notice", role: "alert", id: "detail-notice" }, this.notice) : null,
      h("dl", { id: "detail-record" },
        row("console.field.type", type),
        row("console.field.priority", h("span", { class: `badge p${incident.priority}`, id: "detail-priority" }, label("priority", incident.priority))),
        row("console.field.status", h("span", { id: "detail-status" }, label("status", incident.status))),
        row("console.field.address", incident.address),
        row("console.field.area", incident.area),
        row("console.field.description", h("span", { id: "detail-description" }, incident.description)),
        row("console.field.agency", agency(incident.agency)),
        row("console.field.shared_with", incident.shared_with.map(agency).join(language() === "ar" ? "، " : ", ")),
        row("console.field.classification", label("classification", incident.classification)),
        row("console.field.created_by", incident.created_by),
        row("console.field.reported_at", dateTime(incident.reported_at)),
        row("console.field.updated_at", dateTime(incident.updated_at))),
      this.lifecycle(),
      this.units(),
    ].filter(Boolean));
    const share = this.el.querySelector("#detail-share");
    if (share) share.replaceChildren(...this.shareForm());
    const timeline = this.el.querySelector("#detail-timeline");
    timeline.replaceChildren(...[...this.timeline].reverse().map((entry) => this.timelineEntry(entry)));
  }

  button(text, onClick, attrs = {}) {
    const b = h("button", { type: "button", ...attrs }, text);
    b.addEventListener("click", onClick);
    return b;
  }

  lifecycle() {
    const incident = this.current;
    if (!this.can("incidents:transition") || !incident.next_statuses.length) return null;
    return h("div", {},
      h("h3", {}, t("console.detail.lifecycle")),
      h("div", { class: "actions" }, incident.next_statuses.map((status) =>
        this.button(label("status", status), () => this.send("POST",
          `/api/v1/incidents/${incident.id}/transitions`, { status }, incident.version),
        { "data-status": status }))));
  }

  units() {
    const incident = this.current;
    const active = this.assignments.filter((a) => a.active);
    const parts = [h("h3", {}, t("console.detail.units"))];
    if (!active.length) parts.push(h("p", { class: "muted" }, t("console.detail.no_units")));
    for (const a of active) {
      parts.push(h("div", { class: "row" }, h("span", {}, `${a.callsign} · ${dateTime(a.assigned_at)}`),
        this.can("units:assign") ? this.button(t("console.detail.release", { callsign: a.callsign }),
          () => this.send("POST", `/api/v1/incidents/${incident.id}/assignments/${a.id}/release`)) : null));
    }
    if (this.candidates !== null) {
      if (!this.candidates.length) {
        parts.push(h("p", { class: "muted" }, t("console.detail.no_candidates")));
      } else {
        const select = h("select", { id: "assign-unit" }, this.candidates.map((u) => h("option", { value: String(u.unit_id) },
          t("console.detail.eta", { callsign: u.callsign, minutes: Math.max(1, Math.round(u.eta_s / 60)), km: Math.round(u.distance_m / 100) / 10 }))));
        const form = h("form", { id: "assign-form" },
          h("label", {}, h("span", {}, t("console.detail.assign")), select),
          h("button", { type: "submit" }, t("console.detail.assign_submit")));
        form.addEventListener("submit", (e) => {
          e.preventDefault();
          this.send("POST", `/api/v1/incidents/${incident.id}/assignments`, { unit_id: Number(select.value) });
        });
        parts.push(form);
      }
    }
    return h("div", {}, parts);
  }

  editForm() {
    const form = h("form", { id: "edit-form" },
      h("h3", {}, t("console.detail.edit")),
      h("label", {}, h("span", {}, t("console.field.priority")),
        h("select", { name: "priority", id: "edit-priority" }, [1, 2, 3, 4].map((p) => h("option", { value: String(p) }, label("priority", p))))),
      h("label", {}, h("span", {}, t("console.field.address")), h("input", { name: "address", id: "edit-address", maxlength: "500" })),
      h("label", {}, h("span", {}, t("console.field.area")), h("input", { name: "area", id: "edit-area", maxlength: "200" })),
      h("label", {}, h("span", {}, t("console.field.description")), h("textarea", { name: "description", id: "edit-description", rows: "3", maxlength: "4000" })),
      h("p", { class: "error", role: "alert", id: "edit-error" }),
      h("button", { type: "submit", class: "primary", id: "edit-submit" }, t("console.save")));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const body = {};
      for (const el of form.elements) {
        if (!el.name || el.value === (el.dataset.initial ?? "")) continue;
        body[el.name] = el.name === "priority" ? Number(el.value) : el.value;
      }
      this.send("PATCH", `/api/v1/incidents/${this.current.id}`, body, this.formVersion, "#edit-error");
    });
    queueMicrotask(() => this.resetEditForm());
    return form;
  }

  resetEditForm() {
    const form = this.el.querySelector("#edit-form");
    if (!form) return;
    const incident = this.current;
    const values = { priority: String(incident.priority), address: incident.address || "", area: incident.area || "", description: incident.description || "" };
    for (const [name, value] of Object.entries(values)) {
      form.elements[name].value = value;
      form.elements[name].dataset.initial = value;
    }
  }

  noteForm() {
    const text = h("textarea", { id: "note-text", rows: "2", maxlength: "4000", required: true });
    const form = h("form", { id: "note-form" },
      h("label", {}, h("span", {}, t("console.detail.note")), text),
      h("button", { type: "submit" }, t("console.detail.note_submit")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      if (await this.send("POST", `/api/v1/incidents/${this.current.id}/notes`, { text: text.value })) text.value = "";
    });
    return form;
  }

  shareForm() {
    const incident = this.current;
    if (incident.agency !== this.state.me.agency) return [];
    const choices = [...this.state.agencies.values()]
      .filter((a) => a.active && a.code !== incident.agency && !incident.shared_with.includes(a.code));
    if (!choices.length) return [];
    const select = h("select", { id: "share-agency" }, choices.map((a) => h("option", { value: a.code }, named(a))));
    const form = h("form", { id: "share-form" },
      h("label", {}, h("span", {}, t("console.detail.share")), select),
      h("button", { type: "submit" }, t("console.detail.share_submit")));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      this.send("POST", `/api/v1/incidents/${incident.id}/shares`, { agencies: [select.value] });
    });
    return [form];
  }

  timelineEntry(entry) {
    let text = entry.text;
    if (entry.kind === "status" && entry.data && entry.data.to) text = `${label("status", entry.data.to)}${text ? ` — ${text}` : ""}`;
    if ((entry.kind === "assignment" || entry.kind === "release") && entry.data.callsign) text = entry.data.callsign;
    if (entry.kind === "share" && entry.data) {
      const codes = entry.data.shared_with || (entry.data.unshared ? [entry.data.unshared] : []);
      text = codes.map((c) => named(this.state.agencies.get(c)) || c).join(", ");
    }
    if (entry.kind === "update" && entry.data && entry.data.changed) text = entry.data.changed.join(", ");
    return h("li", {}, h("time", { datetime: entry.at }, `${dateTime(entry.at)} · ${entry.author}`),
      h("strong", {}, label("console.timeline", entry.kind)), text ? ` ${text}` : "");
  }

  // Send a change; on 412 explain it and show the fresh record. Returns whether it succeeded.
  async send(method, path, body, version, errorSlot = null) {
    let r;
    try {
      r = await call(method, path, { body, ifMatch: version });
    } catch {
      this.toast(t("console.error.network"), "error");
      return false;
    }
    if (r.status === 412) {
      await this.fetchAll(this.current.id);
      this.formVersion = this.current.version;
      this.notice = t("console.detail.stale", { detail: problemText(r.body) });
      this.resetEditForm();
      this.renderLive();
      return false;
    }
    if (!r.ok) {
      const message = problemText(r.body);
      const slot = errorSlot && this.el.querySelector(errorSlot);
      if (slot) slot.textContent = message;
      else this.toast(message, "error");
      return false;
    }
    this.notice = "";
    this.toast(t("console.saved"));
    await this.fetchAll(this.current.id);
    this.formVersion = this.current.version;
    this.resetEditForm();
    this.renderLive();
    const slot = errorSlot && this.el.querySelector(errorSlot);
    if (slot) slot.textContent = "";
    return true;
  }
}

export { num };
