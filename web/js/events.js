// The events list: GET /v1/events with the filters of the address, a page at a time. The
// cursor (`next`) is opaque: it is passed back as `after` unchanged. Earlier pages' cursors
// are kept for "Previous".

import {getJson} from "./api.js";
import {$, clear, el, emptyRow, eventRow, fmtInt, setText} from "./dom.js";
import {DAY_RE, navigate, periodFor, serverToday} from "./state.js";

const LIMITS = ["25", "100", "500", "1000"];

let controller = null;
let pageState = {query: "", cursors: [null], index: 0, next: null};

// datetime-local value <-> the API's ISO time (UTC).
function toIso(local) {
  if (!local) {
    return "";
  }
  return (local.length === 16 ? local + ":00" : local) + "Z";
}

function fromIso(iso) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?)/.exec(iso || "");
  return m ? m[1] : "";
}

export function fillForm(p) {
  $("#ev-app").value = p.get("app") || "";
  $("#ev-event").value = p.get("event") || "";
  $("#ev-day").value = p.get("day") || "";
  $("#ev-since").value = fromIso(p.get("since"));
  $("#ev-until").value = fromIso(p.get("until"));
  const limit = p.get("limit") || "100";
  $("#ev-limit").value = LIMITS.includes(limit) ? limit : "100";
}

export function bindEventsForm() {
  $("#events-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const day = $("#ev-day").value;
    navigate({
      app: $("#ev-app").value.trim(),
      event: $("#ev-event").value.trim(),
      day,
      since: day ? "" : toIso($("#ev-since").value),
      until: day ? "" : toIso($("#ev-until").value),
      limit: $("#ev-limit").value === "100" ? "" : $("#ev-limit").value,
    });
  });
  $("#ev-reset").addEventListener("click", () => {
    navigate({app: "", event: "", day: "", since: "", until: "", limit: ""});
  });
  $("#ev-next").addEventListener("click", () => {
    if (pageState.next) {
      pageState.index += 1;
      pageState.cursors[pageState.index] = pageState.next;
      pageState.cursors.length = pageState.index + 1;
      loadPage();
    }
  });
  $("#ev-prev").addEventListener("click", () => {
    if (pageState.index > 0) {
      pageState.index -= 1;
      loadPage();
    }
  });
  $("#ev-first").addEventListener("click", () => {
    pageState.index = 0;
    loadPage();
  });
}

let currentQuery = {};
let onError = () => {};

async function loadPage() {
  if (controller) {
    controller.abort();
  }
  controller = new AbortController();
  const view = $("#view-events");
  view.dataset.state = "loading";
  view.setAttribute("aria-busy", "true");
  $("#ev-next").disabled = true;
  $("#ev-prev").disabled = true;
  $("#ev-first").disabled = true;
  const after = pageState.cursors[pageState.index];
  let body;
  try {
    body = await getJson("v1/events", Object.assign({}, currentQuery, {after}), controller.signal);
  } catch (e) {
    if (e && e.name === "AbortError") {
      return;
    }
    view.removeAttribute("aria-busy");
    view.dataset.state = "error";
    onError(e);
    return;
  }
  const events = body.events || [];
  const table = $("#events-table");
  const showHost = events.some((e) => e.host) || Array.isArray(body.hosts) && body.hosts.length > 1;
  for (const th of table.querySelectorAll("th.host-col")) {
    th.hidden = !showHost;
  }
  const tbody = table.tBodies[0];
  clear(tbody);
  for (const e of events) {
    tbody.append(eventRow(e, showHost));
  }
  if (!events.length) {
    tbody.append(emptyRow(table, pageState.index ? "No more events." : "No events match."));
  }
  pageState.next = body.next || null;
  $("#ev-next").disabled = !pageState.next;
  $("#ev-prev").disabled = pageState.index === 0;
  $("#ev-first").disabled = pageState.index === 0;
  setText($("#ev-page"), "Page " + (pageState.index + 1) + ", " + fmtInt(events.length)
    + (events.length === 1 ? " event" : " events") + (pageState.next ? "" : " (last page)"));
  view.removeAttribute("aria-busy");
  view.dataset.state = "ready";
}

// Shows the first page for the address's filters. Without a day or a range, the list covers
// the overview's period.
export async function showEvents(p, errorHandler) {
  onError = errorHandler;
  fillForm(p);
  const q = {app: p.get("app") || "", event: p.get("event") || "",
    limit: p.get("limit") || ""};
  const day = p.get("day") || "";
  let what;
  if (DAY_RE.test(day)) {
    q.day = day;
    what = "day " + day;
  } else if (p.get("since") || p.get("until")) {
    q.since = p.get("since") || "";
    q.until = p.get("until") || "";
    what = (q.since ? "from " + q.since : "") + (q.until ? " until " + q.until : "");
  } else {
    const per = periodFor(p, await serverToday());
    q.since = per.since;
    q.until = per.until || "";
    what = per.label + " (the overview's period)";
  }
  setText($("#events-range"), "Events of " + what + (q.app ? ", app " + q.app : "")
    + (q.event ? ", event " + q.event : "") + ", oldest first.");
  const key = JSON.stringify(q);
  if (key !== pageState.query) {
    pageState = {query: key, cursors: [null], index: 0, next: null};
  }
  currentQuery = q;
  await loadPage();
}

export function stopEvents() {
  if (controller) {
    controller.abort();
    controller = null;
  }
}
