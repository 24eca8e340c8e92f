// Building the page. Every value from the API goes in as text (textContent, attributes set
// one by one), never as HTML.

export function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) {
      continue;
    }
    if (k === "class") {
      node.className = v;
    } else if (k === "text") {
      node.textContent = String(v);
    } else if (k === "dataset") {
      Object.assign(node.dataset, v);
    } else if (k.startsWith("on")) {
      node.addEventListener(k.slice(2), v);
    } else {
      node.setAttribute(k, v === true ? "" : String(v));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) {
      continue;
    }
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

export const $ = (sel, root) => (root || document).querySelector(sel);
export const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));

export function setText(node, text) {
  node.textContent = text === undefined || text === null ? "" : String(text);
}

const numberFormat = new Intl.NumberFormat("en");
const percentFormat = new Intl.NumberFormat("en", {maximumFractionDigits: 1});

export function fmtInt(n) {
  return numberFormat.format(n);
}

export function fmtShare(part, whole) {
  if (!whole) {
    return "–";
  }
  return percentFormat.format((part * 100) / whole) + " %";
}

// "+12 %", "−5 %", "new", "no change" against the previous period.
export function fmtChange(cur, prev) {
  if (prev === 0) {
    return cur === 0 ? "no change" : "new";
  }
  const pct = ((cur - prev) * 100) / prev;
  if (pct === 0) {
    return "no change";
  }
  return (pct > 0 ? "+" : "−") + percentFormat.format(Math.abs(pct)) + " %";
}

export function changeClass(cur, prev) {
  if (cur === prev) {
    return "same";
  }
  return cur > prev ? "up" : "down";
}

const TYPE_NAMES = {1: "INTEGER", 2: "REAL", 3: "TEXT", 4: "DATE", 5: "DATETIME", 6: "JSONB",
  7: "BLOB"};

export function typeName(t) {
  return TYPE_NAMES[t] || String(t);
}

const dateFormat = new Intl.DateTimeFormat("en-GB",
  {year: "numeric", month: "short", day: "numeric", timeZone: "UTC"});
const dateTimeFormat = new Intl.DateTimeFormat("en-GB",
  {year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit",
    second: "2-digit", timeZone: "UTC", timeZoneName: "short"});

// The bytes a standard base64 text decodes to.
export function base64Bytes(text) {
  const s = text.replace(/\s+/g, "");
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  return Math.max(0, Math.floor((s.length * 3) / 4) - pad);
}

// A value as a node, by its type: JSONB pretty-printed, BLOB as its size, DATE and DATETIME
// as dates (with the stored text in datetime=), the rest as stored.
export function valueNode(value, type) {
  if (value === null || value === undefined) {
    return el("span", {class: "none", text: "no value"});
  }
  const v = String(value);
  switch (type) {
    case 1:
    case 2:
      return el("span", {class: "numval", text: v});
    case 4: {
      const ms = Date.parse(v + "T00:00:00Z");
      return Number.isNaN(ms) ? el("span", {text: v})
        : el("time", {datetime: v, title: v, text: dateFormat.format(ms)});
    }
    case 5: {
      const ms = Date.parse(v);
      return Number.isNaN(ms) ? el("span", {text: v})
        : el("time", {datetime: v, title: v, text: dateTimeFormat.format(ms)});
    }
    case 6: {
      let pretty = v;
      try {
        pretty = JSON.stringify(JSON.parse(v), null, 2);
      } catch (e) {
        pretty = v;
      }
      return el("pre", {class: "json", text: pretty});
    }
    case 7: {
      const n = base64Bytes(v);
      return el("span", {class: "blob", title: "base64, " + v.length + " characters",
        text: "BLOB, " + fmtInt(n) + (n === 1 ? " byte" : " bytes")});
    }
    default:
      return el("span", {class: "text", text: v});
  }
}

// "2025-12-01T12:00:00.123456Z" as "2025-12-01 12:00:00.123".
export function shortTime(iso) {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(\.\d{3})?/.exec(String(iso || ""));
  return m ? m[1] + " " + m[2] + (m[3] || "") : String(iso || "");
}

// One event as a table row (the events list and the live tail).
export function eventRow(e, showHost) {
  const id = e.day + "/" + (e.host ? e.host + "/" : "") + e.seq;
  const row = el("tr", {dataset: {day: e.day, seq: String(e.seq), host: e.host || ""}},
    el("td", {class: "time"}, el("time", {datetime: e.time, text: shortTime(e.time)})),
    el("td", {class: "app", text: e.app}),
    el("td", {class: "event", text: e.event},
      e.is_unique ? el("span", {class: "badge", title: "unique: once per day", text: "unique"})
        : null),
    el("td", {class: "value"}, valueNode(e.value, e.type)),
    el("td", {class: "type", text: typeName(e.type)}),
    el("td", {class: "host-col", hidden: !showHost, text: e.host || ""}),
    el("td", {class: "seq", text: id}));
  return row;
}

export function clear(node) {
  node.replaceChildren();
}

export function emptyRow(table, text) {
  const cols = table.tHead.rows[0].cells.length;
  return el("tr", {class: "empty"}, el("td", {colspan: cols, text}));
}
