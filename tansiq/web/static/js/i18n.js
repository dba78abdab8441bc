// The console's words, numbers and dates: every text comes from the server's message catalogue
// (the one the API's errors use); numbers and times are shown in the user's language and in
// Asia/Kuwait time.
const ZONE = "Asia/Kuwait";
let lang = "ar";
let messages = {};
let numberFmt = null;
let idFmt = null;
let dateFmt = null;
let timeFmt = null;

export function language() { return lang; }
export function locale() { return lang === "ar" ? "ar-KW" : "en-GB"; }

export async function loadLanguage(next) {
  const response = await fetch(`/api/v1/console/messages/${next}`, { credentials: "same-origin" });
  if (!response.ok) throw new Error(`messages ${next}: ${response.status}`);
  const body = await response.json();
  messages = body.messages;
  lang = body.lang;
  numberFmt = new Intl.NumberFormat(locale());
  idFmt = new Intl.NumberFormat(locale(), { useGrouping: false });
  dateFmt = new Intl.DateTimeFormat(locale(), {
    timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  timeFmt = new Intl.DateTimeFormat(locale(), {
    timeZone: ZONE, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  document.documentElement.lang = lang;
  document.documentElement.dir = body.dir;
  document.title = t("console.title");
  applyStatic(document);
}

export function has(key) { return Object.prototype.hasOwnProperty.call(messages, key); }

export function t(key, params = {}) {
  const text = has(key) ? messages[key] : key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => {
    if (!(name in params)) return whole;
    const value = params[name];
    return typeof value === "number" ? num(value) : String(value);
  });
}

export function label(prefix, value) {
  const key = `${prefix}.${value}`;
  return has(key) ? messages[key] : String(value);
}

export function num(value) { return numberFmt ? numberFmt.format(value) : String(value); }
export function id(value) { return idFmt ? idFmt.format(value) : String(value); }
export function dateTime(iso) { return iso ? dateFmt.format(new Date(iso)) : ""; }
export function clock(date) { return timeFmt.format(date); }

// Reference records carry their own names in both languages.
export function named(record) {
  if (!record) return "";
  return lang === "ar" ? record.name_ar : record.name_en;
}

// A problem+json answer in the user's language: the catalogue's detail and each field's message.
export function problemText(problem) {
  if (!problem || typeof problem !== "object" || !problem.code) return t("console.error.network");
  const parts = [lang === "ar" ? problem.detail_ar : problem.detail];
  for (const err of problem.errors || []) {
    const where = (err.loc || []).filter((p) => p !== "body").join(".");
    parts.push(`${where}: ${lang === "ar" ? err.msg_ar : err.msg}`);
  }
  return parts.join(" ");
}

export function applyStatic(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) {
    el.setAttribute("aria-label", t(el.dataset.i18nLabel));
  }
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.setAttribute("placeholder", t(el.dataset.i18nPlaceholder));
  }
}
