// The overview: totals against the previous period, apps, top events, daily uniques and a
// chart of counts per hour (periods up to two days) or per day. Built from GET /v1/counts (one
// request covering the period and the one before) and GET /v1/uniques.

import {getJson} from "./api.js";
import {$, changeClass, clear, el, emptyRow, fmtChange, fmtInt, fmtShare, setText} from "./dom.js";
import {knownOrGuessedToday, navigate, periodFor, serverToday} from "./state.js";

const HOUR = 3600000;
const DAY = 86400000;
const TOP_N = 10;

let controller = null;
let plot = null;
let lastChart = null;

export function knownApps(apps) {
  const list = $("#known-apps");
  clear(list);
  for (const a of apps) {
    list.append(el("option", {value: a}));
  }
}

function bucketMs(item, hourly) {
  return hourly ? Date.parse(item.bucket) : Date.parse(item.day + "T00:00:00Z");
}

// Splits the counts into the current and the previous period.
export function summarise(per, counts) {
  const cur = {total: 0, apps: new Map(), events: new Map(), buckets: new Map()};
  const prev = {total: 0, apps: new Map(), events: new Map(), buckets: new Map()};
  const span = per.curEnd - per.curStart;
  for (const c of counts) {
    const t = bucketMs(c, per.hourly);
    let side = null;
    if (per.key === "24h") {
      side = t >= per.curStart && t < per.curEnd ? cur : t >= per.prevStart && t < per.curStart
        ? prev : null;
    } else if (c.day >= per.from && c.day <= per.to) {
      side = cur;
    } else if (c.day >= per.prevFrom && c.day <= per.prevTo) {
      side = prev;
    }
    if (!side) {
      continue;
    }
    const n = Number(c.count) || 0;
    side.total += n;
    side.apps.set(c.app, (side.apps.get(c.app) || 0) + n);
    const ek = c.app + "\u0000" + c.event;
    side.events.set(ek, (side.events.get(ek) || 0) + n);
    const bt = side === prev ? t + span : t;
    side.buckets.set(bt, (side.buckets.get(bt) || 0) + n);
  }
  return {cur, prev};
}

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function chartData(per, sum) {
  const step = per.hourly ? HOUR : DAY;
  let start = per.curStart;
  let end = per.curEnd;
  for (const t of sum.cur.buckets.keys()) {
    start = Math.min(start, t);
    end = Math.max(end, t + step);
  }
  const now = Date.now();
  const xs = [];
  const ys = [];
  const ps = [];
  for (let t = start; t < end; t += step) {
    xs.push(t / 1000);
    ys.push(t > now ? null : sum.cur.buckets.get(t) || 0);
    ps.push(sum.prev.buckets.get(t) || 0);
  }
  return [xs, ys, ps];
}

function drawChart(per, data) {
  const box = $("#chart");
  lastChart = {per, data};
  if (plot) {
    plot.destroy();
    plot = null;
  }
  clear(box);
  if (typeof window.uPlot !== "function") {
    box.append(el("p", {class: "message", text: "The chart library did not load."}));
    return false;
  }
  const ink = cssVar("--ink");
  const grid = cssVar("--grid");
  const accent = cssVar("--accent");
  const muted = cssVar("--muted");
  const axis = {stroke: ink, grid: {stroke: grid, width: 1}, ticks: {stroke: grid, width: 1}};
  // Ticks on whole hours (a day's date at midnight) or whole days, labelled in UTC.
  const xAxis = Object.assign({}, axis, per.hourly ? {
    incrs: [3600, 7200, 10800, 21600, 43200, 86400],
    values: (u, splits) => splits.map((t) => {
      const iso = new Date(t * 1000).toISOString();
      return iso.slice(11, 13) === "00" ? iso.slice(5, 10) : iso.slice(11, 16);
    }),
  } : {
    incrs: [86400, 172800, 604800, 1209600, 2592000],
    values: (u, splits) => splits.map((t) => new Date(t * 1000).toISOString().slice(5, 10)),
  });
  const opts = {
    width: Math.max(box.clientWidth, 200),
    height: box.clientHeight || 240,
    tzDate: (ts) => window.uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
    legend: {show: true, live: true},
    cursor: {drag: {x: false, y: false}},
    scales: {x: {time: true}, y: {range: (u, min, max) => [0, Math.max(1, max * 1.1)]}},
    axes: [xAxis, Object.assign({size: 56}, axis)],
    series: [
      {label: per.hourly ? "Hour (UTC)" : "Day"},
      {label: "Events", stroke: accent, width: 2, fill: cssVar("--accent-fill"),
        points: {show: !per.hourly}},
      {label: "Previous period", stroke: muted, width: 1, dash: [4, 4], points: {show: false}},
    ],
  };
  plot = new window.uPlot(opts, data, box);
  box.dataset.drawn = String(data[0].length);
  return true;
}

export function redrawChart() {
  if (lastChart && !$("#view-overview").hidden) {
    drawChart(lastChart.per, lastChart.data);
  }
}

export function resizeChart() {
  const box = $("#chart");
  if (plot && box.clientWidth > 0) {
    plot.setSize({width: box.clientWidth, height: box.clientHeight || 240});
  }
}

function filterButton(label, onClick) {
  return el("button", {type: "button", class: "link", onclick: onClick}, label);
}

function renderApps(sum) {
  const tbody = $("#apps-table tbody");
  clear(tbody);
  const rows = Array.from(sum.cur.apps.entries()).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  for (const [app, n] of rows) {
    const p = sum.prev.apps.get(app) || 0;
    tbody.append(el("tr", {dataset: {app, count: String(n)}},
      el("td", {}, filterButton(app, () => navigate({app, event: null}))),
      el("td", {class: "num", text: fmtInt(n)}),
      el("td", {class: "num", text: fmtShare(n, sum.cur.total)}),
      el("td", {class: "num change " + changeClass(n, p), text: fmtChange(n, p)})));
  }
  if (!rows.length) {
    tbody.append(emptyRow($("#apps-table"), "No events in this period."));
  }
}

function renderTop(sum) {
  const tbody = $("#top-table tbody");
  clear(tbody);
  const rows = Array.from(sum.cur.events.entries()).map(([k, n]) => {
    const [app, event] = k.split("\u0000");
    return {app, event, n};
  }).sort((a, b) => b.n - a.n || (a.app < b.app ? -1 : a.app > b.app ? 1 : 0)
    || (a.event < b.event ? -1 : a.event > b.event ? 1 : 0)).slice(0, TOP_N);
  for (const r of rows) {
    const share = sum.cur.total ? (r.n * 100) / sum.cur.total : 0;
    const bar = el("span", {class: "bar", "aria-hidden": "true"});
    bar.style.width = share.toFixed(1) + "%";
    tbody.append(el("tr", {dataset: {app: r.app, event: r.event, count: String(r.n)}},
      el("td", {}, filterButton(r.event, () => navigate({app: r.app, event: r.event}))),
      el("td", {class: "app", text: r.app}),
      el("td", {class: "num", text: fmtInt(r.n)}),
      el("td", {class: "num share"}, el("span", {text: fmtShare(r.n, sum.cur.total)}), bar)));
  }
  if (!rows.length) {
    tbody.append(emptyRow($("#top-table"), "No events in this period."));
  }
}

function renderUniques(days, eventFilter) {
  const tbody = $("#uniques-table tbody");
  clear(tbody);
  let total = 0;
  for (const d of days.slice().reverse()) {
    let n = d.count;
    let apps = d.apps || [];
    if (eventFilter) {
      apps = apps.map((a) => ({app: a.app, count: (a.events || []).filter((e) => e === eventFilter)
        .length})).filter((a) => a.count > 0);
      n = apps.reduce((s, a) => s + a.count, 0);
    }
    total += n;
    tbody.append(el("tr", {dataset: {day: d.day, count: String(n)}},
      el("td", {text: d.day}),
      el("td", {class: "num", text: fmtInt(n)}),
      el("td", {class: "apps", text: apps.map((a) => a.app + " (" + a.count + ")").join(", ")})));
  }
  if (!days.length) {
    tbody.append(emptyRow($("#uniques-table"), "No days in this period."));
  }
  return total;
}

function setFigure(id, n, text) {
  const node = $(id);
  node.dataset.value = String(n);
  setText(node, text === undefined ? fmtInt(n) : text);
}

// Loads and shows the overview for the address's period and filters. Throws ApiError.
export async function showOverview(p) {
  if (controller) {
    controller.abort();
  }
  controller = new AbortController();
  const signal = controller.signal;
  const view = $("#view-overview");
  view.dataset.state = "loading";
  view.setAttribute("aria-busy", "true");
  // The period's requests go out at once, with the server's today if known, else a guess that
  // is checked by the request that learns it (on a miss, the figures are asked for again).
  const app = p.get("app") || "";
  const event = p.get("event") || "";
  const guess = knownOrGuessedToday();
  const checked = guess.known ? Promise.resolve(guess.day) : serverToday(signal);
  let today = guess.day;
  let per;
  let counts;
  let uniques;
  for (;;) {
    per = periodFor(p, today);
    const uFrom = per.key === "24h" ? new Date(per.curStart).toISOString().slice(0, 10) : per.from;
    const uTo = per.key === "24h" ? today : per.to;
    [counts, uniques] = await Promise.all([
      getJson("v1/counts", {app, event, from: per.fetchFrom, to: per.fetchTo,
        interval: per.interval}, signal),
      getJson("v1/uniques", {app, from: uFrom, to: uTo}, signal),
      checked,
    ]);
    const real = await checked;
    if (real === today) {
      break;
    }
    today = real;
  }
  $("#period").value = per.key;
  $("#custom-range").hidden = per.key !== "custom";
  if (per.key === "custom") {
    $("#period-from").value = per.from;
    $("#period-to").value = per.to;
  }
  const sum = summarise(per, counts.counts || []);
  setText($("#overview-range"), "Showing " + per.label + (app ? ", app " + app : "")
    + (event ? ", event " + event : "") + "; compared with " + per.prevLabel + ".");
  setFigure("#fig-total", sum.cur.total);
  const change = $("#fig-change");
  setText(change, fmtChange(sum.cur.total, sum.prev.total) + " against " + per.prevLabel
    + " (" + fmtInt(sum.prev.total) + ")");
  change.className = "change " + changeClass(sum.cur.total, sum.prev.total);
  change.dataset.previous = String(sum.prev.total);
  setFigure("#fig-apps", sum.cur.apps.size);
  setText($("#fig-events"), fmtInt(sum.cur.events.size) + " distinct events");
  renderApps(sum);
  renderTop(sum);
  const uniqueTotal = renderUniques(uniques.days || [], event);
  setFigure("#fig-uniques", uniqueTotal);
  const nDays = (uniques.days || []).length;
  setText($("#fig-uniques-note"), nDays === 1 ? "on one day" : "summed over " + nDays + " days");
  const hosts = counts.hosts || uniques.hosts;
  const hostLine = $("#overview-hosts");
  hostLine.hidden = !(Array.isArray(hosts) && hosts.length);
  if (!hostLine.hidden) {
    setText(hostLine, "Hosts counted: " + hosts.join(", "));
  }
  if (!app && !event) {
    knownApps(Array.from(sum.cur.apps.keys()).concat(Array.from(sum.prev.apps.keys()))
      .filter((a, i, all) => all.indexOf(a) === i).sort());
  }
  const data = chartData(per, sum);
  let peak = 0;
  let peakAt = 0;
  data[1].forEach((v, i) => {
    if (v !== null && v > peak) {
      peak = v;
      peakAt = data[0][i];
    }
  });
  const unit = per.hourly ? "hour" : "day";
  const peakText = peak ? "; most in one " + unit + ": " + fmtInt(peak) + " ("
    + new Date(peakAt * 1000).toISOString().slice(0, per.hourly ? 16 : 10).replace("T", " ")
    + (per.hourly ? " UTC" : "") + ")" : "";
  setText($("#chart-caption"), "Events per " + unit + (per.hourly ? " (UTC)" : "")
    + ", dashed: " + per.prevLabel + peakText);
  drawChart(per, data);
  view.removeAttribute("aria-busy");
  view.dataset.state = "ready";
  performance.mark("itslog-overview-ready");  // for the bench: time since navigation started
  return per;
}

export function stopOverview() {
  if (controller) {
    controller.abort();
    controller = null;
  }
}
