// The API client: bearer tokens kept for this browser tab, one refresh on an expired token, and
// problem+json answers handed back as they are (their messages are already in both languages).
const KEY = "tansiq.session";
let tokens = JSON.parse(sessionStorage.getItem(KEY) || "null");
let onSignedOut = () => {};
let refreshing = null;

export function signedIn() { return tokens !== null; }
export function whenSignedOut(handler) { onSignedOut = handler; }

function keep(pair) {
  tokens = pair ? { access: pair.access_token, refresh: pair.refresh_token } : null;
  if (tokens) sessionStorage.setItem(KEY, JSON.stringify(tokens));
  else sessionStorage.removeItem(KEY);
}

export async function login(username, password) {
  const form = new URLSearchParams({ username, password });
  const response = await fetch("/api/v1/auth/token", { method: "POST", body: form });
  const body = await response.json().catch(() => null);
  if (response.ok) keep(body);
  return { ok: response.ok, status: response.status, body };
}

export async function logout() {
  if (tokens) {
    await call("POST", "/api/v1/auth/logout", { body: { refresh_token: tokens.refresh } }).catch(() => {});
  }
  keep(null);
}

async function refresh() {
  if (!tokens) return false;
  if (!refreshing) {
    refreshing = fetch("/api/v1/auth/refresh", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: tokens.refresh }),
    }).then(async (r) => {
      if (!r.ok) return false;
      keep(await r.json());
      return true;
    }).catch(() => false).finally(() => { refreshing = null; });
  }
  return refreshing;
}

// Returns {ok, status, body, etag}; throws only when the server cannot be reached.
export async function call(method, path, { body, ifMatch, signal, idempotencyKey, retried } = {}) {
  const headers = { Accept: "application/json" };
  if (tokens) headers.Authorization = `Bearer ${tokens.access}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (ifMatch !== undefined) headers["If-Match"] = `"${ifMatch}"`;
  if (idempotencyKey) headers["Idempotency-Key"] = idempotencyKey;
  const response = await fetch(path, {
    method, headers, signal, body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401 && !retried && tokens) {
    if (await refresh()) return call(method, path, { body, ifMatch, signal, idempotencyKey, retried: true });
    keep(null);
    onSignedOut();
  }
  const text = await response.text();
  let parsed = null;
  try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
  const tag = response.headers.get("ETag");
  return { ok: response.ok, status: response.status, body: parsed, etag: tag ? Number(tag.replace(/\D/g, "")) : null };
}

// Every page of a cursor-paginated list.
export async function all(path, limit = 500) {
  const items = [];
  let cursor = null;
  do {
    const sep = path.includes("?") ? "&" : "?";
    const url = `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
    const r = await call("GET", url);
    if (!r.ok) throw Object.assign(new Error(`GET ${path}: ${r.status}`), { problem: r.body });
    items.push(...r.body.items);
    cursor = r.body.next_cursor;
  } while (cursor);
  return items;
}
