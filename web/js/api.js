// The read API, reached from the page at /its-log/ui/: the API lives one level up.
// The key is kept in sessionStorage (this tab only) and sent as Authorization: Bearer.

const KEY_ITEM = "itslog.key";

export const API_BASE = new URL("../", document.baseURI);

export function getKey() {
  return sessionStorage.getItem(KEY_ITEM) || "";
}

export function setKey(key) {
  sessionStorage.setItem(KEY_ITEM, key);
}

export function forgetKey() {
  sessionStorage.removeItem(KEY_ITEM);
}

// An error a person can act on: kind is "key" (unknown or missing key), "scope" (the key
// lacks read), "app" (an app the key may not see), "param" (a bad filter), "down" (no answer
// from the API), "absent" (404), or "other".
export class ApiError extends Error {
  constructor(kind, message, status, code, field) {
    super(message);
    this.kind = kind;
    this.status = status;
    this.code = code || "";
    this.field = field || "";
  }
}

export function url(path, params) {
  const u = new URL(path, API_BASE);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== "") {
      u.searchParams.set(k, String(v));
    }
  }
  return u;
}

export function authHeaders(extra) {
  const h = new Headers(extra || {});
  h.set("Authorization", "Bearer " + getKey());
  return h;
}

// What a response that is not 2xx means, in words.
export async function errorFor(resp) {
  let err = null;
  try {
    const type = resp.headers.get("Content-Type") || "";
    if (type.startsWith("application/json")) {
      const body = await resp.json();
      err = body && body.error;
    }
  } catch (e) {
    err = null;
  }
  const code = (err && err.code) || "";
  const field = (err && err.field) || "";
  const said = err && err.message ? " (" + err.message + ")" : "";
  const s = resp.status;
  if (s === 401) {
    return new ApiError("key", code === "missing_key"
      ? "No key was sent. Paste an API key with the read scope."
      : "The server does not know this key. Check it and paste it again.", s, code);
  }
  if (s === 403 && code === "missing_scope") {
    return new ApiError("scope",
      "This key has no read scope: the dashboard needs a key with the read scope.", s, code);
  }
  if (s === 403) {
    return new ApiError("app", "This key may not see that app" + said + ".", s, code, field);
  }
  if (s === 404) {
    return new ApiError("absent", "Not found" + said + ".", s, code);
  }
  if (s === 400) {
    return new ApiError("param", "The server refused the filter " + (field ? "“" + field + "”" : "")
      + said + ".", s, code, field);
  }
  if (s === 429) {
    return new ApiError("other", "Too many requests with this key: wait a moment, then reload.",
      s, code);
  }
  if (!err && (s === 502 || s === 503 || s === 504)) {
    return new ApiError("down", "The web server answers, but the its-log API behind it does not "
      + "(HTTP " + s + "): are the its-log workers running?", s);
  }
  if (s === 503) {
    return new ApiError("other", "The its-log API is unavailable just now" + said
      + "; it asks to retry later.", s, code);
  }
  return new ApiError("other", "The its-log API answered HTTP " + s + said + ".", s, code);
}

export function downError() {
  return new ApiError("down", "The its-log API does not answer at " + API_BASE.pathname
    + ": is the web server running?", 0);
}

// GET path?params as JSON. Throws ApiError.
export async function getJson(path, params, signal) {
  let resp;
  try {
    resp = await fetch(url(path, params), {
      headers: authHeaders({Accept: "application/json"}),
      cache: "no-store",
      credentials: "omit",
      signal,
    });
  } catch (e) {
    if (e && e.name === "AbortError") {
      throw e;
    }
    throw downError();
  }
  if (!resp.ok) {
    throw await errorFor(resp);
  }
  try {
    return await resp.json();
  } catch (e) {
    throw new ApiError("down", "The answer from " + API_BASE.pathname + path
      + " is not JSON: is its-log mounted there?", resp.status);
  }
}

// A request with a JSON body (alerts and incidents). Returns the parsed answer or null.
export async function sendJson(method, path, body) {
  let resp;
  try {
    resp = await fetch(url(path), {
      method,
      headers: authHeaders({"Content-Type": "application/json", Accept: "application/json"}),
      body: JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
    });
  } catch (e) {
    throw downError();
  }
  if (!resp.ok) {
    throw await errorFor(resp);
  }
  const type = resp.headers.get("Content-Type") || "";
  return type.startsWith("application/json") ? resp.json() : null;
}
