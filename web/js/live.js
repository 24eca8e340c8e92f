// The live tail: GET /v1/tail read with fetch streaming (EventSource cannot send the key in a
// header). The server ends each stream after a while; the page reconnects with Last-Event-ID,
// so that nothing is missed, also across a pause.

import {authHeaders, errorFor, url} from "./api.js";
import {$, emptyRow, eventRow, setText} from "./dom.js";

const MAX_ROWS = 500;

let controller = null;
let running = false;
let paused = false;
let lastId = "";
let filterKey = "";
let retryMs = 1000;
let timer = null;
let onError = () => {};
let received = 0;

function status(text, state) {
  const node = $("#live-status");
  setText(node, text);
  node.dataset.state = state;
}

function emptyList() {
  const table = $("#live-table");
  table.tBodies[0].replaceChildren(emptyRow(table, "No new events yet: they appear here as "
    + "they are stored, newest first."));
}

function addEvent(e) {
  const tbody = $("#live-table").tBodies[0];
  for (const r of tbody.querySelectorAll("tr.empty")) {
    r.remove();
  }
  const showHost = Boolean(e.host);
  if (showHost) {
    for (const th of $("#live-table").querySelectorAll("th.host-col")) {
      th.hidden = false;
    }
  }
  const row = eventRow(e, showHost || !$("#live-table th.host-col").hidden);
  row.classList.add("fresh");
  tbody.prepend(row);
  while (tbody.rows.length > MAX_ROWS) {
    tbody.deleteRow(tbody.rows.length - 1);
  }
  received += 1;
}

// Parses one server-sent block ("id: ..", "data: ..", "retry: ..", ": comment" lines).
function handleBlock(text) {
  let data = null;
  let id = null;
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith(":")) {
      continue;
    }
    const i = line.indexOf(":");
    const field = i < 0 ? line : line.slice(0, i);
    let value = i < 0 ? "" : line.slice(i + 1);
    if (value.startsWith(" ")) {
      value = value.slice(1);
    }
    if (field === "data") {
      data = data === null ? value : data + "\n" + value;
    } else if (field === "id") {
      id = value;
    } else if (field === "retry" && /^\d+$/.test(value)) {
      retryMs = Math.min(Math.max(Number(value), 250), 30000);
    }
  }
  if (id !== null) {
    lastId = id;
  }
  if (data !== null) {
    try {
      addEvent(JSON.parse(data));
    } catch (e) {
      // Not an event: ignored.
    }
  }
}

async function connect(params) {
  controller = new AbortController();
  const headers = authHeaders({Accept: "text/event-stream"});
  if (lastId) {
    headers.set("Last-Event-ID", lastId);
  }
  let resp;
  try {
    resp = await fetch(url("v1/tail", params), {headers, cache: "no-store", credentials: "omit",
      signal: controller.signal});
  } catch (e) {
    if (e && e.name === "AbortError") {
      return "stopped";
    }
    return "network";
  }
  if (!resp.ok) {
    const err = await errorFor(resp);
    if (err.code === "invalid_parameter" && err.field === "Last-Event-ID") {
      lastId = "";  // the position no longer applies (another filter): start from now
      return "again";
    }
    throw err;
  }
  status(paused ? "Paused." : "Following new events as they are stored.", "live");
  const reader = resp.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  try {
    for (;;) {
      const {done, value} = await reader.read();
      if (done) {
        break;
      }
      buf += decoder.decode(value, {stream: true});
      let m;
      while ((m = /\r?\n\r?\n/.exec(buf))) {
        handleBlock(buf.slice(0, m.index));
        buf = buf.slice(m.index + m[0].length);
      }
    }
  } catch (e) {
    if (e && e.name === "AbortError") {
      return "stopped";
    }
    return "network";
  }
  return "ended";
}

async function loop(params) {
  let failures = 0;
  while (running && !paused) {
    let outcome;
    try {
      outcome = await connect(params);
    } catch (err) {
      running = false;
      status("Stopped: " + err.message, "error");
      onError(err);
      return;
    }
    if (!running || paused || outcome === "stopped") {
      return;
    }
    if (outcome === "network") {
      failures += 1;
      const wait = Math.min(retryMs * 2 ** Math.min(failures, 5), 30000);
      status("The its-log API does not answer; trying again in " + Math.round(wait / 1000)
        + " s.", "down");
      await new Promise((resolve) => {
        timer = setTimeout(resolve, wait);
      });
    } else {
      failures = 0;
      // The server closed the stream (its time bound): reconnect where it stopped.
      await new Promise((resolve) => {
        timer = setTimeout(resolve, outcome === "again" ? 0 : Math.min(retryMs, 1000));
      });
    }
  }
}

function params(p) {
  return {app: p.get("app") || "", event: p.get("event") || ""};
}

export function bindLive() {
  $("#live-pause").addEventListener("click", () => {
    paused = !paused;
    const button = $("#live-pause");
    button.setAttribute("aria-pressed", String(paused));
    setText(button, paused ? "Resume" : "Pause");
    if (paused) {
      abort();
      status("Paused: new events are not shown until you resume; none are missed.", "paused");
    } else if (running) {
      status("Resuming…", "connecting");
      loop(currentParams);
    }
  });
  $("#live-clear").addEventListener("click", () => {
    emptyList();
    received = 0;
  });
}

let currentParams = {};

function abort() {
  if (controller) {
    controller.abort();
    controller = null;
  }
  if (timer) {
    clearTimeout(timer);
    timer = null;
  }
}

export function startLive(p, errorHandler) {
  onError = errorHandler;
  const next = params(p);
  const key = JSON.stringify(next);
  if (running && key === filterKey) {
    return;
  }
  stopLive();
  if (key !== filterKey) {
    lastId = "";
    emptyList();
  }
  filterKey = key;
  currentParams = next;
  running = true;
  if (paused) {
    status("Paused.", "paused");
    return;
  }
  status("Connecting…", "connecting");
  loop(next);
}

export function stopLive() {
  running = false;
  abort();
}

export function liveCount() {
  return received;
}
