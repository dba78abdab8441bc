// The operations console: sign-in, language, the live picture (map + queue), incident details,
// and the feed that keeps every operator's screen the same within a second.
import * as api from "./api.js";
import { Feed } from "./feed.js";
import * as i18n from "./i18n.js";
import { t, label, num, id as fmtId, dateTime, named, problemText } from "./i18n.js";
import { OpsMap } from "./map.js";
import { Detail } from "./detail.js";
import { fold, h } from "./dom.js";

const OPEN = ["reported", "acknowledged", "dispatched", "on_scene"];
const QUEUE_MAX = 300;
const LANG_KEY = "tansiq.lang";
const $ = (sel) => document.querySelector(sel);

const state = {
  me: null,
  types: new Map(),
  unitTypes: new Map(),
  agencies: new Map(),
  incidents: new Map(),
  units: new Map(),
  fresh: new Set(),
  selected: null,
  map: null,
  feed: null,
  detail: null,
  queueScheduled: false,
  incidentSeqs: [],
};
// For tests and the benchmark: what the console has applied.
window.tansiqConsole = state;

function toast(text, kind = "") {
  const box = $("#toast");
  box.className = kind;
  box.textContent = text;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.textContent = ""; }, 6000);
}

// --- language -------------------------------------------------------------------------------

async function setLanguage(lang, { remember }) {
  await i18n.loadLanguage(lang);
  localStorage.setItem(LANG_KEY, lang);
  if (remember && api.signedIn()) {
    const r = await api.call("PUT", "/api/v1/auth/me/language", { body: { language: lang } });
    if (!r.ok) toast(problemText(r.body), "error");
  }
  if (state.me && state.map) {
    fillFilters();
    fillCreateForm();
    renderWho();
    renderConn(state.connState || "connecting", state.connInfo || {});
    scheduleQueue();
    state.map.setIncidents([...state.incidents.values()], []);
    if (state.detail.current) state.detail.render();
  }
}

for (const button of document.querySelectorAll(".lang-switch")) {
  button.addEventListener("click", () =>
    setLanguage(i18n.language() === "ar" ? "en" : "ar", { remember: true }));
}

// --- sign-in --------------------------------------------------------------------------------

function showLogin(message = "") {
  $("#console").hidden = true;
  $("#login").hidden = false;
  $("#login-error").textContent = message;
  $("#login-username").focus();
}

$("#login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const submit = $("#login-submit");
  submit.disabled = true;
  submit.textContent = t("console.login.busy");
  try {
    const r = await api.login($("#login-username").value.trim(), $("#login-password").value);
    if (!r.ok) {
      $("#login-error").textContent = problemText(r.body);
      return;
    }
    $("#login-password").value = "";
    await start();
  } catch {
    $("#login-error").textContent = t("console.error.network");
  } finally {
    submit.disabled = false;
    submit.textContent = t("console.login.submit");
  }
});

$("#logout").addEventListener("click", async () => {
  stop();
  await api.logout();
  showLogin();
});

api.whenSignedOut(() => {
  stop();
  showLogin(t("console.conn.signed_out"));
});

function stop() {
  if (state.feed) state.feed.stop();
  state.feed = null;
  state.me = null;
}

// --- start: who am I, reference data, the picture, then the feed ----------------------------

async function start() {
  state.timings = { start: performance.now() };
  const me = await api.call("GET", "/api/v1/auth/me");
  if (!me.ok) return showLogin(problemText(me.body));
  state.me = me.body;
  if (state.me.language !== i18n.language()) await setLanguage(state.me.language, { remember: false });
  localStorage.setItem(LANG_KEY, state.me.language);
  $("#login").hidden = true;
  $("#console").hidden = false;
  if (!state.map) {
    state.map = new OpsMap($("#map"), {
      onIncidentClick: (incidentId) => openIncident(incidentId),
      onMapClick: (latlng) => pickLocation(latlng),
      typeName: (code) => named(state.types.get(code)) || code,
      unitTypeName: (code) => named(state.unitTypes.get(code)) || code,
    });
    state.detail = new Detail($("#detail"), {
      state, toast, onClose: () => selectIncident(null), onShow: (incident) => upsertIncidents([incident]),
    });
    state.map.loadOutlines();
  }
  // Reference data and the picture load side by side; the picture is drawn once both are in.
  const [types, unitTypes, agencies, picture] = await Promise.all([
    api.call("GET", "/api/v1/incident-types"),
    api.call("GET", "/api/v1/unit-types"),
    api.call("GET", "/api/v1/agencies"),
    fetchPicture(),
  ]);
  state.types = new Map((types.body || []).map((x) => [x.code, x]));
  state.unitTypes = new Map((unitTypes.body || []).map((x) => [x.code, x]));
  state.agencies = new Map((agencies.body || []).map((x) => [x.code, x]));
  fillFilters();
  fillCreateForm();
  renderWho();
  const since = drawPicture(picture);
  state.feed = new Feed({
    onEvents: applyEvents,
    onState: renderConn,
    onReset: async () => drawPicture(await fetchPicture()),
    onSignedOut: () => { stop(); showLogin(t("console.conn.signed_out")); },
  });
  state.feed.start(since);
  $("#queue").focus();
}

// The current picture, and the feed position it is valid at (events after it are replayed).
// Open incidents are read per priority, four cursors side by side.
async function fetchPicture() {
  const head = await api.call("GET", "/api/v1/feed/head");
  const since = head.ok ? head.body.seq : 0;
  state.timings.reference = performance.now();
  const status = OPEN.map((s) => `status=${s}`).join("&");
  const [units, ...byPriority] = await Promise.all([
    api.all("/api/v1/units"),
    ...[1, 2, 3, 4].map((p) => api.all(`/api/v1/incidents?${status}&priority=${p}`)),
  ]);
  state.timings.fetched = performance.now();
  return { since, incidents: byPriority.flat(), units };
}

function drawPicture({ since, incidents, units }) {
  state.incidents = new Map(incidents.map((i) => [i.id, i]));
  state.units = new Map(units.map((u) => [u.id, u]));
  state.map.clear();
  state.map.setIncidents(incidents, []);
  state.map.setUnits(units);
  state.timings.drawn = performance.now();
  scheduleQueue();
  return since;
}

// --- the feed -------------------------------------------------------------------------------

function applyEvents(events) {
  const began = performance.now();
  try {
    applyBatch(events);
  } finally {
    state.applyMs = (state.applyMs || 0) + performance.now() - began;
  }
}

function applyBatch(events) {
  const incidents = [];
  const removed = [];
  const units = new Map();
  const touched = new Set();
  for (const ev of events) {
    if (ev.record.type === "incident") {
      state.incidentSeqs.push(ev.seq);
      const incident = ev.data.incident;
      const incidentId = Number(ev.record.id);
      touched.add(incidentId);
      if (ev.type === "incident.withdrawn") {
        removed.push(incidentId);
      } else if (incident) {
        const known = state.incidents.get(incident.id);
        if (known && known.version > incident.version) continue;
        if (ev.type === "incident.created") state.fresh.add(incident.id);
        if (OPEN.includes(incident.status)) incidents.push(incident);
        else removed.push(incident.id);
      }
    } else if (ev.type === "unit.position") {
      const unit = state.units.get(ev.data.unit_id);
      if (unit) {
        Object.assign(unit, { lat: ev.data.lat, lon: ev.data.lon, status: ev.data.status, heading: ev.data.heading });
        units.set(unit.id, unit);
      }
    } else if (ev.record.type === "unit" && ev.data.unit) {
      state.units.set(ev.data.unit.id, ev.data.unit);
      units.set(ev.data.unit.id, ev.data.unit);
    }
  }
  // Only incident changes touch the queue: re-listing it for every batch of positions would
  // spend the frame budget on layout.
  if (incidents.length || removed.length) upsertIncidents(incidents, removed);
  if (units.size) state.map.setUnits([...units.values()]);
  const current = state.detail.current;
  if (current && touched.has(current.id)) state.detail.changedElsewhere();
}

function upsertIncidents(incidents, removed = []) {
  const changed = new Map();
  for (const incident of incidents) changed.set(incident.id, incident);
  for (const incident of changed.values()) state.incidents.set(incident.id, incident);
  for (const incidentId of removed) {
    if (!changed.has(incidentId)) state.incidents.delete(incidentId);
  }
  state.map.setIncidents([...changed.values()], removed.filter((x) => !changed.has(x)));
  scheduleQueue();
}

function renderConn(connState, info = {}) {
  state.connState = connState;
  state.connInfo = info;
  const el = $("#conn");
  el.dataset.state = connState;
  if (connState === "live") {
    el.textContent = t("console.conn.live");
    if (info.caughtUp) toast(t("console.conn.caught_up", { count: state.feed ? state.feed.stats.received : 0 }));
  } else if (connState === "offline") {
    el.textContent = t("console.conn.reconnecting", { seconds: info.seconds || 1 });
  } else {
    el.textContent = t("console.conn.connecting");
  }
}

// --- top bar --------------------------------------------------------------------------------

function renderWho() {
  const me = state.me;
  const agency = named(state.agencies.get(me.agency)) || me.agency;
  $("#whoami").textContent = t("console.signed_in_as", {
    name: me.display_name || me.username, role: label("role", me.role), agency,
  });
}

function tick() {
  const el = $("#clock");
  const now = new Date();
  el.textContent = `${t("console.clock_label")} ${i18n.clock(now)}`;
  el.dateTime = now.toISOString();
}
setInterval(() => { if (state.me) tick(); }, 1000);

// --- the queue ------------------------------------------------------------------------------

function option(value, text) { return h("option", { value }, text); }

function fillSelect(select, options) {
  const keep = select.value;
  select.replaceChildren(...options.map(([v, text]) => option(v, text)));
  if ([...select.options].some((o) => o.value === keep)) select.value = keep;
}

function fillFilters() {
  const any = ["", t("console.filter.any")];
  fillSelect($("#f-status"), [any, ...OPEN.map((s) => [s, label("status", s)])]);
  fillSelect($("#f-priority"), [any, ...[1, 2, 3, 4].map((p) => [String(p), label("priority", p)])]);
  fillSelect($("#f-type"), [any, ...[...state.types.values()].map((x) => [x.code, named(x)])
    .sort((a, b) => a[1].localeCompare(b[1], i18n.locale()))]);
  fillSelect($("#f-agency"), [any, ...[...state.agencies.values()].map((x) => [x.code, named(x)])]);
}

for (const el of document.querySelectorAll("#filters select, #filters input")) {
  el.addEventListener("input", () => scheduleQueue());
}
$("#filters").addEventListener("submit", (e) => e.preventDefault());

function scheduleQueue() {
  if (state.queueScheduled) return;
  state.queueScheduled = true;
  const run = () => {
    if (!state.queueScheduled) return;
    state.queueScheduled = false;
    renderQueue();
  };
  requestAnimationFrame(run);
  setTimeout(run, 200);
}

function matches(incident, f) {
  if (f.status && incident.status !== f.status) return false;
  if (f.priority && String(incident.priority) !== f.priority) return false;
  if (f.type && incident.type !== f.type) return false;
  if (f.agency && incident.agency !== f.agency && !incident.shared_with.includes(f.agency)) return false;
  if (f.area && !fold(incident.area || "").includes(f.area)) return false;
  if (f.q) {
    const type = state.types.get(incident.type);
    const text = fold([incident.id, incident.address, incident.area, incident.description,
      type && type.name_ar, type && type.name_en].join(" "));
    if (!f.q.split(/\s+/).every((w) => text.includes(w))) return false;
  }
  return true;
}

function renderQueue() {
  const f = {
    status: $("#f-status").value, priority: $("#f-priority").value, type: $("#f-type").value,
    agency: $("#f-agency").value, area: fold($("#f-area").value.trim()), q: fold($("#f-q").value.trim()),
  };
  const rows = [...state.incidents.values()].filter((i) => matches(i, f));
  rows.sort((a, b) => a.priority - b.priority || (a.reported_at < b.reported_at ? 1 : -1));
  const shown = rows.slice(0, QUEUE_MAX);
  const list = $("#queue-list");
  const focusedId = document.activeElement && document.activeElement.dataset.incident;
  list.replaceChildren(...shown.map((incident) => queueRow(incident)));
  if (focusedId) {
    const again = list.querySelector(`[data-incident="${focusedId}"]`);
    if (again) again.focus();
  }
  $("#queue-count").textContent = rows.length === 0 ? t("console.queue.empty")
    : t("console.queue.count", { shown: shown.length, total: rows.length })
      + (rows.length > shown.length ? ` — ${t("console.queue.more", { shown: shown.length })}` : "");
}

function queueRow(incident) {
  const type = named(state.types.get(incident.type)) || incident.type;
  const fresh = state.fresh.has(incident.id) ? ` · ${t("console.new_badge")}` : "";
  const button = h("button", {
    type: "button", "data-incident": String(incident.id),
    "aria-current": state.selected === incident.id ? "true" : "false",
  },
  h("span", { class: `badge p${incident.priority}` }, label("priority", incident.priority)),
  h("strong", {}, `${fmtId(incident.id)} · ${type}${fresh}`),
  h("span", {}, label("status", incident.status)),
  h("span", { class: "meta" }, `${incident.area || incident.address || ""} · ${dateTime(incident.reported_at)}`));
  button.addEventListener("click", () => openIncident(incident.id));
  return h("li", {}, button);
}

function selectIncident(incident) {
  state.selected = incident ? incident.id : null;
  state.map.select(incident);
  scheduleQueue();
}

async function openIncident(incidentId) {
  const incident = state.incidents.get(incidentId);
  if (incident) selectIncident(incident);
  state.fresh.delete(incidentId);
  await state.detail.open(incidentId);
}

// --- creating an incident -------------------------------------------------------------------

const dialog = $("#create-dialog");

function fillCreateForm() {
  const types = [...state.types.values()].filter((x) => x.active)
    .map((x) => [x.code, named(x)]).sort((a, b) => a[1].localeCompare(b[1], i18n.locale()));
  fillSelect($("#c-type"), types);
  fillSelect($("#c-priority"), [["", t("console.field.priority_default")],
    ...[1, 2, 3, 4].map((p) => [String(p), label("priority", p)])]);
  fillSelect($("#c-classification"), ["public", "restricted", "confidential", "secret"]
    .map((c) => [c, label("classification", c)]));
  if (!$("#c-classification").dataset.touched) $("#c-classification").value = "restricted";
}

function openCreate(latlng) {
  $("#create-error").textContent = "";
  dialog.dataset.key = crypto.randomUUID();
  if (latlng) {
    $("#c-lat").value = latlng.lat.toFixed(6);
    $("#c-lon").value = latlng.lng.toFixed(6);
  }
  if (!dialog.open) dialog.show();
  $("#c-type").focus();
}

function closeCreate() {
  dialog.close();
  $("#create-form").reset();
  fillCreateForm();
  $("#new-incident").focus();
}

function pickLocation(latlng) {
  if (!state.me || !state.me.permissions.includes("incidents:create")) return;
  openCreate(latlng);
}

$("#new-incident").addEventListener("click", () => openCreate(null));
$("#create-cancel").addEventListener("click", closeCreate);
dialog.addEventListener("keydown", (e) => { if (e.key === "Escape") { e.preventDefault(); closeCreate(); } });

$("#create-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const lat = Number($("#c-lat").value.replace(",", "."));
  const lon = Number($("#c-lon").value.replace(",", "."));
  if (!$("#c-lat").value.trim() || !$("#c-lon").value.trim() || !Number.isFinite(lat) || !Number.isFinite(lon)) {
    $("#create-error").textContent = t("console.error.coordinates");
    return;
  }
  const body = {
    type: $("#c-type").value, lat, lon,
    classification: $("#c-classification").value,
    description: $("#c-description").value,
  };
  if ($("#c-priority").value) body.priority = Number($("#c-priority").value);
  if ($("#c-address").value.trim()) body.address = $("#c-address").value.trim();
  if ($("#c-area").value.trim()) body.area = $("#c-area").value.trim();
  const submit = $("#create-submit");
  submit.disabled = true;
  try {
    const r = await api.call("POST", "/api/v1/incidents", { body, idempotencyKey: dialog.dataset.key });
    if (!r.ok) {
      $("#create-error").textContent = problemText(r.body);
      return;
    }
    upsertIncidents([r.body]);
    toast(t("console.create.done", { id: fmtId(r.body.id) }));
    closeCreate();
    openIncident(r.body.id);
  } catch {
    $("#create-error").textContent = t("console.error.network");
  } finally {
    submit.disabled = false;
  }
});

// --- layers and keys ------------------------------------------------------------------------

for (const name of ["incidents", "units", "roads", "outlines"]) {
  $(`#layer-${name}`).addEventListener("change", (e) => state.map.setLayer(name, e.target.checked));
}

document.addEventListener("keydown", (e) => {
  if (!state.me || e.ctrlKey || e.metaKey || e.altKey) return;
  const typing = e.target.closest("input, textarea, select, [contenteditable]");
  if (typing) return;
  if (e.key === "n" || e.key === "N") {
    e.preventDefault();
    openCreate(null);
  } else if (e.key === "/") {
    e.preventDefault();
    $("#f-q").focus();
  } else if (e.key === "Escape" && state.detail.current) {
    state.detail.close();
  }
});

// --- boot -----------------------------------------------------------------------------------

async function boot() {
  const lang = localStorage.getItem(LANG_KEY) || "ar";
  await i18n.loadLanguage(lang === "en" ? "en" : "ar");
  if (api.signedIn()) {
    try {
      await start();
      return;
    } catch {
      /* fall through to the sign-in form */
    }
  }
  showLogin();
}

boot();
export { num };
