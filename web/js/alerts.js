// Alerts and incidents, shown when the server has them (GET /v1/alerts answers 200; a server
// without them answers 404 and the view stays hidden). Acknowledging and commenting need the
// incidents (or admin) scope: a key without it is told so.

import {ApiError, getJson, sendJson} from "./api.js";
import {$, clear, el, emptyRow, setText, shortTime} from "./dom.js";

let available = null;

// Whether the server has alerts: true, false (404), or null when it could not be told.
export async function probeAlerts() {
  if (available !== null) {
    return available;
  }
  try {
    await getJson("v1/alerts");
    available = true;
  } catch (e) {
    available = e instanceof ApiError && e.status === 404 ? false : null;
  }
  return available;
}

function when(iso) {
  return iso ? el("time", {datetime: iso, text: shortTime(iso)}) : el("span", {text: "–"});
}

let onError = () => {};
let openIncident = null;

async function act(button, fn) {
  button.disabled = true;
  try {
    await fn();
    await showAlerts(null, onError);
  } catch (e) {
    if (e instanceof ApiError && (e.kind === "scope" || e.kind === "app")) {
      onError(new ApiError("other", "This key may not change incidents: that needs a key with "
        + "the incidents or admin scope.", e.status, e.code));
    } else {
      onError(e);
    }
  } finally {
    button.disabled = false;
  }
}

async function showIncident(id) {
  const body = await getJson("v1/incidents/" + encodeURIComponent(id));
  openIncident = id;
  const box = $("#incident-detail");
  box.hidden = false;
  setText($("#incident-title"), body.title + " (" + body.status + ")");
  const list = $("#incident-timeline");
  clear(list);
  for (const t of body.timeline || []) {
    list.append(el("li", {}, when(t.time), " ", el("strong", {text: t.event_type}),
      t.actor ? " by " + t.actor : "", t.content ? ": " : "",
      t.content ? el("span", {text: t.content}) : null));
  }
  $("#incident-title").focus();
}

export function bindAlerts() {
  $("#comment-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = $("#comment-input").value.trim();
    if (!openIncident || !text) {
      return;
    }
    const id = openIncident;
    act(ev.submitter || $("#comment-form button"), async () => {
      await sendJson("POST", "v1/incidents/" + encodeURIComponent(id) + "/timeline",
        {event_type: "comment", content: text});
      $("#comment-input").value = "";
      await showIncident(id);
    });
  });
}

export async function showAlerts(p, errorHandler) {
  onError = errorHandler;
  const view = $("#view-alerts");
  view.dataset.state = "loading";
  const [alerts, incidents] = await Promise.all([getJson("v1/alerts"), getJson("v1/incidents")]);
  const at = $("#alerts-table");
  clear(at.tBodies[0]);
  for (const a of alerts.alerts || []) {
    const rule = a.rule || {};
    at.tBodies[0].append(el("tr", {dataset: {state: a.state || ""}},
      el("td", {text: rule.name || rule.id || ""}),
      el("td", {text: rule.severity || ""}),
      el("td", {}, el("span", {class: "state " + (a.state || ""), text: a.state || ""})),
      el("td", {}, when(a.since)),
      el("td", {class: "num", text: a.value === null || a.value === undefined ? "–" : a.value}),
      el("td", {}, when(a.last_evaluated))));
  }
  if (!(alerts.alerts || []).length) {
    at.tBodies[0].append(emptyRow(at, "No alert rules."));
  }
  const it = $("#incidents-table");
  clear(it.tBodies[0]);
  for (const inc of incidents.incidents || []) {
    const actions = el("td", {class: "actions"});
    actions.append(el("button", {type: "button", class: "quiet",
      onclick: () => showIncident(inc.id).catch(onError)}, "Timeline"));
    const move = (label, status) => {
      const b = el("button", {type: "button", "aria-label": label + ": " + (inc.title || "")},
        label);
      b.addEventListener("click", () => act(b, () => sendJson("PATCH",
        "v1/incidents/" + encodeURIComponent(inc.id), {status})));
      actions.append(b);
    };
    if (inc.status === "triggered") {
      move("Acknowledge", "acknowledged");
    }
    if (inc.status === "triggered" || inc.status === "acknowledged") {
      move("Resolve", "resolved");
    }
    it.tBodies[0].append(el("tr", {dataset: {id: String(inc.id), status: inc.status || ""}},
      el("td", {text: inc.title || ""}),
      el("td", {text: inc.severity || ""}),
      el("td", {}, el("span", {class: "state " + (inc.status || ""), text: inc.status || ""})),
      el("td", {text: inc.app || "all apps"}),
      el("td", {}, when(inc.opened_at)),
      actions));
  }
  if (!(incidents.incidents || []).length) {
    it.tBodies[0].append(emptyRow(it, "No incidents."));
  }
  view.dataset.state = "ready";
}
