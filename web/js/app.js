// The its-log dashboard: routes the address (?view=...) to a view, asks for the key once,
// says plainly what went wrong.

import {forgetKey, getKey, setKey} from "./api.js";
import {$, $$, el, setText} from "./dom.js";
import {bindAlerts, probeAlerts, showAlerts} from "./alerts.js";
import {bindEventsForm, showEvents, stopEvents} from "./events.js";
import {bindLive, startLive, stopLive} from "./live.js";
import {redrawChart, resizeChart, showOverview, stopOverview} from "./overview.js";
import {VIEWS, navigate, params, resetToday, setNavigateHandler} from "./state.js";

let currentView = null;

function showProblem(err) {
  const box = $("#problem");
  box.replaceChildren();
  if (!err) {
    box.hidden = true;
    return;
  }
  box.dataset.kind = err.kind || "other";
  box.append(el("p", {text: err.message || String(err)}));
  if (err.kind === "down" || err.kind === "other") {
    box.append(el("button", {type: "button", onclick: () => route()}, "Try again"));
  }
  box.hidden = false;
}

// A key problem sends the reader back to the key form, saying why.
function handleError(err) {
  if (err && err.name === "AbortError") {
    return;
  }
  if (err && (err.kind === "key" || err.kind === "scope")) {
    forgetKey();
    resetToday();
    showKeyForm(err.message);
    return;
  }
  const view = currentView && $("#view-" + currentView);
  if (view) {
    view.dataset.state = "error";
    view.removeAttribute("aria-busy");
  }
  showProblem(err);
}

function showOnly(id) {
  for (const v of $$(".view")) {
    v.hidden = v.id !== id;
  }
}

function showKeyForm(message) {
  stopLive();
  stopOverview();
  stopEvents();
  currentView = null;
  showProblem(null);
  $("#nav").hidden = true;
  $("#forget-key").hidden = true;
  showOnly("view-key");
  const msg = $("#key-message");
  setText(msg, message || "");
  msg.hidden = !message;
  $("#key-input").value = "";
  $("#key-input").focus();
}

function renderFilters(p) {
  const app = p.get("app") || "";
  const event = p.get("event") || "";
  for (const box of $$("[data-filters]")) {
    box.replaceChildren();
    if (!app && !event) {
      box.append(el("span", {class: "hint", text: "All apps and events. Click an app or an "
        + "event to filter the whole page."}));
      continue;
    }
    box.append(el("span", {class: "hint", text: "Filtered to "}));
    if (app) {
      box.append(el("button", {type: "button", class: "chip",
        "aria-label": "Remove the app filter " + app,
        onclick: () => navigate({app: "", event: ""})}, "app ", el("b", {text: app}), " ✕"));
    }
    if (event) {
      box.append(el("button", {type: "button", class: "chip",
        "aria-label": "Remove the event filter " + event,
        onclick: () => navigate({event: ""})}, "event ", el("b", {text: event}), " ✕"));
    }
  }
}

async function route() {
  if (!getKey()) {
    showKeyForm("");
    return;
  }
  const p = params();
  let view = p.get("view") || "overview";
  if (!VIEWS.includes(view)) {
    view = "overview";
  }
  const changed = view !== currentView;
  if (currentView === "live" && view !== "live") {
    stopLive();
  }
  currentView = view;
  showProblem(null);
  $("#nav").hidden = false;
  $("#forget-key").hidden = false;
  for (const a of $$("#nav a")) {
    if (a.dataset.view === view) {
      a.setAttribute("aria-current", "page");
    } else {
      a.removeAttribute("aria-current");
    }
    const q = new URLSearchParams(p);
    q.set("view", a.dataset.view);
    a.href = "?" + q.toString();
  }
  renderFilters(p);
  showOnly("view-" + view);
  document.title = "its-log · " + view[0].toUpperCase() + view.slice(1);
  if (changed) {
    $("#" + view + "-title").focus({preventScroll: true});
  }
  try {
    if (view === "overview") {
      await showOverview(p);
    } else if (view === "events") {
      await showEvents(p, handleError);
    } else if (view === "live") {
      startLive(p, handleError);
    } else if (view === "alerts") {
      await showAlerts(p, handleError);
    }
  } catch (err) {
    handleError(err);
    return;
  }
  // The Alerts view is offered when the server has alerts (GET /v1/alerts answers 200).
  if (getKey() && view !== "alerts") {
    probeAlerts().then((yes) => {
      $("#nav-alerts").hidden = yes !== true;
    });
  } else if (view === "alerts") {
    $("#nav-alerts").hidden = false;
  }
}

function init() {
  setNavigateHandler(route);
  $("#key-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const key = $("#key-input").value.trim();
    if (!key) {
      return;
    }
    setKey(key);
    $("#key-input").value = "";
    setText($("#key-message"), "");
    route();
  });
  $("#forget-key").addEventListener("click", () => {
    forgetKey();
    resetToday();
    showKeyForm("The key is forgotten in this tab.");
  });
  for (const a of $$("#nav a")) {
    a.addEventListener("click", (ev) => {
      if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) {
        return;
      }
      ev.preventDefault();
      navigate({view: a.dataset.view});
    });
  }
  $("#period").addEventListener("change", () => {
    const v = $("#period").value;
    if (v === "custom") {
      $("#custom-range").hidden = false;
      $("#period-from").focus();
      return;
    }
    navigate({period: v === "today" ? "" : v, from: "", to: ""});
  });
  $("#period-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const from = $("#period-from").value;
    const to = $("#period-to").value;
    if (from && to) {
      navigate({period: "custom", from: from <= to ? from : to, to: from <= to ? to : from});
    }
  });
  bindEventsForm();
  bindLive();
  bindAlerts();
  window.addEventListener("popstate", route);
  if (window.ResizeObserver) {
    new ResizeObserver(() => resizeChart()).observe($("#chart"));
  }
  window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", redrawChart);
  route();
}

// uPlot is a deferred classic script; modules run after it, so it is there by now.
init();
