// What the page shows lives in its address (?view=&period=&app=&event=...), so that a view can
// be shared and the back button works. The key never goes there.

import {getJson} from "./api.js";

export const VIEWS = ["overview", "events", "live", "alerts"];

export function params() {
  return new URLSearchParams(location.search);
}

let onNavigate = () => {};

export function setNavigateHandler(fn) {
  onNavigate = fn;
}

// Changes some parameters (null or "" removes one) and shows the result.
export function navigate(changes, replace) {
  const p = params();
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "") {
      p.delete(k);
    } else {
      p.set(k, String(v));
    }
  }
  const q = p.toString();
  const target = location.pathname + (q ? "?" + q : "");
  if (replace) {
    history.replaceState(null, "", target);
  } else {
    history.pushState(null, "", target);
  }
  onNavigate();
}

// Days as the server counts them (YYYY-MM-DD), computed in UTC arithmetic.
export function addDays(day, n) {
  const d = new Date(Date.parse(day + "T00:00:00Z") + n * 86400000);
  return d.toISOString().slice(0, 10);
}

export function daysBetween(from, to) {
  return Math.round((Date.parse(to + "T00:00:00Z") - Date.parse(from + "T00:00:00Z")) / 86400000);
}

export const DAY_RE = /^\d{4}-\d\d-\d\d$/;

// The server's today (its timezone decides), learned from GET /v1/uniques, which also proves
// that the key may read. Kept for a minute.
let today = null;
let todayAt = 0;
export async function serverToday(signal) {
  if (today && Date.now() - todayAt < 60000) {
    return today;
  }
  const body = await getJson("v1/uniques", {}, signal);
  today = body.to;
  todayAt = Date.now();
  return today;
}

export function resetToday() {
  today = null;
}

// The server's today when it is known; else the UTC date here, the server's default zone (the
// caller checks it against serverToday() and starts over when they differ).
export function knownOrGuessedToday() {
  if (today && Date.now() - todayAt < 60000) {
    return {day: today, known: true};
  }
  return {day: new Date().toISOString().slice(0, 10), known: false};
}

// The period of the overview (and the default range of the events list):
//   {key, from, to, interval, prevFrom, prevTo, hours: [start ms of the current hours] | null,
//    label}
export function periodFor(p, todayDay) {
  let key = p.get("period") || "today";
  if (!["today", "24h", "7d", "30d", "custom"].includes(key)) {
    key = "today";
  }
  if (key === "24h") {
    const hour = Math.floor(Date.now() / 3600000) * 3600000;
    const first = hour - 23 * 3600000;
    return {key, interval: "hour", hourly: true, curStart: first, curEnd: hour + 3600000,
      prevStart: first - 24 * 3600000, fetchFrom: addDays(todayDay, -3), fetchTo: todayDay,
      since: new Date(first).toISOString(), until: null,
      label: "the last 24 hours", prevLabel: "the 24 hours before"};
  }
  let from = todayDay;
  let to = todayDay;
  let label = "today, " + todayDay;
  let prevLabel = "yesterday";
  if (key === "7d" || key === "30d") {
    const n = key === "7d" ? 7 : 30;
    from = addDays(todayDay, 1 - n);
    label = "the last " + n + " days, " + from + " to " + to;
    prevLabel = "the " + n + " days before";
  } else if (key === "custom") {
    const f = p.get("from") || "";
    const t = p.get("to") || "";
    if (DAY_RE.test(f) && DAY_RE.test(t) && f <= t && daysBetween(f, t) < 183) {
      from = f;
      to = t;
    } else if (DAY_RE.test(f) && DAY_RE.test(t) && f <= t) {
      from = addDays(t, -182);
      to = t;
    }
    label = from === to ? from : from + " to " + to;
    prevLabel = "the same length before";
  }
  const n = daysBetween(from, to) + 1;
  const hourly = n <= 2;
  return {key, interval: hourly ? "hour" : "day", hourly, from, to,
    prevFrom: addDays(from, -n), prevTo: addDays(from, -1), days: n,
    curStart: Date.parse(from + "T00:00:00Z"), curEnd: Date.parse(addDays(to, 1) + "T00:00:00Z"),
    prevStart: Date.parse(addDays(from, -n) + "T00:00:00Z"),
    fetchFrom: addDays(from, -n), fetchTo: to,
    since: from, until: addDays(to, 1), label, prevLabel};
}
