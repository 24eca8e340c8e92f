// Browser cases of the its-log dashboard, one per run: node dashboard.test.mjs CASE.
// Started by tests/integration/test_dashboard.py against a real nginx and real workers, it
// drives Debian's Chromium (/usr/bin/chromium) with playwright-core; no browser is downloaded.
//
// Environment: ITSLOG_BASE (http://127.0.0.1:PORT/its-log/), ITSLOG_DEAD_BASE (a server whose
// workers are absent), ITSLOG_KEY (ingest+read, all apps), ITSLOG_KEY_READ_ONLY,
// ITSLOG_KEY_INGEST_ONLY (no read scope), ITSLOG_KEY_UNKNOWN, ITSLOG_TAIL_SECONDS,
// ITSLOG_SCREENSHOTS (a folder), ITSLOG_HOSTILE (the hostile value logged today).
//
// Every case also checks: no console error and no uncaught exception on the page (the only
// failed loads allowed are those a case expects), no request off loopback, the key in no URL.
// Exit status 0 when the case passed; the reason is printed otherwise.

import assert from "node:assert/strict";
import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {chromium} from "playwright-core";

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set`);
  }
  return v;
};
const BASE = env("ITSLOG_BASE");
const UI = new URL("ui/", BASE).href;
const KEY = env("ITSLOG_KEY");
const SHOTS = env("ITSLOG_SCREENSHOTS");
const HOSTILE = env("ITSLOG_HOSTILE");
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

// The read API, asked directly (Node's fetch), to compare the page with.
async function api(path, params = {}, key = KEY) {
  const u = new URL(path, BASE);
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== "") {
      u.searchParams.set(k, v);
    }
  }
  const r = await fetch(u, {headers: {Authorization: `Bearer ${key}`}});
  assert.equal(r.status, 200, `${u}: HTTP ${r.status} ${await r.clone().text()}`);
  return r.json();
}

async function putEvent(app, event, value, type = 3) {
  const r = await fetch(new URL(`v1/event/${app}/${event}`, BASE), {method: "PUT",
    headers: {Authorization: `Bearer ${KEY}`, "Content-Type": "application/json"},
    body: JSON.stringify({value, type})});
  assert.equal(r.status, 204, `PUT ${app}/${event}: HTTP ${r.status}`);
}

async function allEvents(params) {
  const out = [];
  let after;
  for (let pages = 0; pages < 1000; pages++) {
    const body = await api("v1/events", {...params, limit: "1000", after});
    out.push(...body.events);
    if (!body.next) {
      return out;
    }
    after = body.next;
  }
  throw new Error("too many pages");
}

// The browsers of the running case: on a failure, each page is saved as a screenshot and its
// text printed; all are closed when the case ends.
const opened = [];

// A fresh browser (its own empty profile) and page, watched for errors and stray requests.
async function open(options = {}) {
  const profile = mkdtempSync(join(tmpdir(), "itslog-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium", headless: true, args: FLAGS,
    viewport: options.viewport || {width: 1280, height: 900},
    colorScheme: options.colorScheme || "light",
    reducedMotion: "reduce",
  });
  const page = context.pages()[0] || await context.newPage();
  const problems = [];
  const expectedFailures = options.expectedFailures || [];
  const keys = [KEY, process.env.ITSLOG_KEY_READ_ONLY, process.env.ITSLOG_KEY_INGEST_ONLY,
    process.env.ITSLOG_KEY_UNKNOWN].filter(Boolean);
  const requests = [];
  context.on("request", (req) => {
    const u = new URL(req.url());
    requests.push(req.url());
    if (!["data:", "blob:", "about:"].includes(u.protocol) && !LOOPBACK.has(u.hostname)) {
      problems.push(`request off loopback: ${req.url()}`);
    }
    for (const k of keys) {
      if (req.url().includes(k)) {
        problems.push(`a key in a URL: ${req.url()}`);
      }
    }
  });
  page.on("console", (msg) => {
    if (msg.type() !== "error") {
      return;
    }
    const where = msg.location().url || "";
    const text = msg.text();
    const allowed = expectedFailures.some(([path, status]) =>
      where.includes(path) && text.includes(`status of ${status}`));
    if (!allowed) {
      problems.push(`console error: ${text} (${where})`);
    }
  });
  page.on("pageerror", (err) => problems.push(`uncaught: ${err.message}`));
  page.on("dialog", (d) => {
    problems.push(`a dialog opened (${d.type()}: ${d.message()})`);
    d.dismiss().catch(() => {});
  });
  // Closed when the case ends (runCase), so that a failure can still show the page.
  const close = async () => {};
  opened.push({page, context, profile});
  return {page, context, problems, requests, close};
}

async function signIn(page, query = "", key = KEY) {
  await page.goto(UI + query);
  await page.locator("#key-input").fill(key);
  await page.locator("#key-form button[type=submit]").click();
}

async function ready(page, view) {
  await page.locator(`#view-${view}[data-state="ready"]`).waitFor({timeout: 15000});
}

async function figures(page) {
  return page.evaluate(() => {
    const rows = (sel) => Array.from(document.querySelectorAll(sel + " tbody tr[data-count]"))
      .map((tr) => ({...tr.dataset}));
    return {
      total: Number(document.querySelector("#fig-total").dataset.value),
      previous: Number(document.querySelector("#fig-change").dataset.previous),
      apps: Number(document.querySelector("#fig-apps").dataset.value),
      uniques: Number(document.querySelector("#fig-uniques").dataset.value),
      appRows: rows("#apps-table"),
      topRows: rows("#top-table"),
    };
  });
}

// Text whose contrast with what is behind it is below WCAG AA (4.5:1) among the page's visible
// text elements: [selector-ish, ratio].
async function lowContrast(page) {
  return page.evaluate(() => {
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => {
      const f = (v) => {
        v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const behind = (el) => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) {
          return c.slice(0, 3);
        }
      }
      return [255, 255, 255];
    };
    const out = [];
    const seen = new Set();
    for (const el of document.querySelectorAll("main *, header *")) {
      const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own || !el.getClientRects().length || el.closest("[hidden], .uplot, :disabled")) {
        continue;
      }
      const st = getComputedStyle(el);
      const fg = rgb(st.color).slice(0, 3);
      const a = lum(fg);
      const b = lum(behind(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const key = el.tagName + "." + el.className;
      if (ratio < 4.5 && !seen.has(key)) {
        seen.add(key);
        out.push([key, Math.round(ratio * 100) / 100]);
      }
    }
    return out;
  });
}

function sum(xs) {
  return xs.reduce((a, b) => a + b, 0);
}

// ------------------------------------------------------------------------------------------
const cases = {
  // The overview for today, 2 days (custom) and 7 days equals GET /v1/overview and /v1/uniques.
  async overview() {
    const b = await open({expectedFailures: [["/v1/alerts", 404]]});
    try {
      const ov1 = await api("v1/overview", {days: "1"});
      const today = ov1.to;
      const yesterday = new Date(Date.parse(today + "T00:00:00Z") - 86400000).toISOString()
        .slice(0, 10);
      await signIn(b.page);
      await ready(b.page, "overview");
      assert.equal(new URL(b.page.url()).search, "", "the default view keeps the address bare");
      const checks = [
        {query: "", days: 1, from: today, to: today},
        {query: `?period=custom&from=${yesterday}&to=${today}`, days: 2, from: yesterday, to: today},
        {query: "?period=7d", days: 7},
      ];
      for (const c of checks) {
        if (c.query) {
          await b.page.goto(UI + c.query);
          await ready(b.page, "overview");
        }
        const f = await figures(b.page);
        const ov = await api("v1/overview", {days: String(c.days)});
        const ov2 = await api("v1/overview", {days: String(2 * c.days)});
        const want = sum(ov.days.map((d) => d.total));
        assert.ok(want > 0, "the test data has events in the period");
        assert.equal(f.total, want, `total ${c.query}`);
        assert.equal(f.previous, sum(ov2.days.slice(0, c.days).map((d) => d.total)),
          `previous period ${c.query}`);
        assert.deepEqual(Object.fromEntries(f.appRows.map((r) => [r.app, Number(r.count)])),
          Object.fromEntries(ov.apps.map((a) => [a.app, a.total])), `apps ${c.query}`);
        assert.equal(f.apps, ov.apps.length);
        assert.deepEqual(f.topRows.map((r) => [r.app, r.event, Number(r.count)]),
          ov.top_events.map((t) => [t.app, t.event, t.count]), `top events ${c.query}`);
        const u = await api("v1/uniques", {from: ov.from, to: ov.to});
        assert.equal(f.uniques, sum(u.days.map((d) => d.count)), `uniques ${c.query}`);
        assert.ok(f.uniques > 0);
        // The share shown for the first top event.
        if (c.days === 2) {
          await b.page.screenshot({path: join(SHOTS, "dashboard-overview.png"), fullPage: true});
        }
        const share = await b.page.locator("#top-table tbody tr").first().locator("td.share span")
          .first().textContent();
        const pct = (ov.top_events[0].count * 100) / want;
        assert.equal(share, `${new Intl.NumberFormat("en", {maximumFractionDigits: 1})
          .format(pct)} %`);
      }
      // The last 24 hours (whole hours, the current one included) against the 24 before,
      // counted from the events themselves.
      const hour = Math.floor(Date.now() / 3600000);
      await b.page.goto(UI + "?period=24h");
      await ready(b.page, "overview");
      if (Math.floor(Date.now() / 3600000) === hour) {  // else the hour turned meanwhile
        const at = (h) => new Date(h * 3600000).toISOString();
        const f = await figures(b.page);
        assert.equal(f.total, (await allEvents({since: at(hour - 23)})).length, "24 h");
        assert.equal(f.previous, (await allEvents({since: at(hour - 47), until: at(hour - 23)}))
          .length, "the 24 h before");
        assert.equal(await b.page.locator("#chart").getAttribute("data-drawn"), "24");
      }

      assert.deepEqual(b.problems, []);
    } finally {
      await b.close();
    }
  },

  // uPlot drew the counts: a canvas with ink on it, one point per hour of today; the chart and
  // the cards do not move while the figures load.
  async chart() {
    const b = await open({expectedFailures: [["/v1/alerts", 404]]});
    try {
      await b.page.addInitScript(() => {
        window.__moves = [];
        const watch = () => {
          const view = document.querySelector("#view-overview");
          if (!view) {
            return;
          }
          const at = () => ["#chart", ".cards", "#apps-table"].map((s) => {
            const r = document.querySelector(s).getBoundingClientRect();
            return [s, Math.round(r.top), Math.round(r.height)];
          });
          new MutationObserver(() => {
            if (view.hidden) {
              return;
            }
            if (view.dataset.state === "loading") {
              window.__before = at();
            } else if (view.dataset.state === "ready") {
              window.__after = at();
            }
          }).observe(view, {attributes: true, attributeFilter: ["data-state", "hidden"]});
        };
        document.addEventListener("DOMContentLoaded", watch);
      });
      await signIn(b.page);
      await ready(b.page, "overview");
      const drawn = await b.page.locator("#chart").getAttribute("data-drawn");
      assert.equal(drawn, "24", "hourly buckets of today");
      const ink = await b.page.evaluate(() => {
        const c = document.querySelector("#chart canvas");
        const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < data.length; i += 4) {
          n += data[i] > 0 ? 1 : 0;
        }
        return {n, w: c.width, h: c.height};
      });
      assert.ok(ink.w > 300 && ink.h > 100, `canvas size ${ink.w}x${ink.h}`);
      assert.ok(ink.n > 500, `the canvas has ${ink.n} painted pixels`);
      const moves = await b.page.evaluate(() => [window.__before, window.__after]);
      assert.ok(moves[0] && moves[1], "loading and ready were both seen");
      assert.deepEqual(moves[1].slice(0, 2), moves[0].slice(0, 2),
        "the chart and the cards stay where they were while loading");
      assert.deepEqual(await lowContrast(b.page), [], "contrast in light mode");
      // Seven days: one point per day.
      await b.page.locator("#period").selectOption("7d");
      await b.page.waitForURL(/period=7d/);
      await ready(b.page, "overview");
      assert.equal(await b.page.locator("#chart").getAttribute("data-drawn"), "7");
      assert.deepEqual(b.problems, []);
    } finally {
      await b.close();
    }
  },

  // Clicking an app, then an event, filters the page: the address says so and the figures are
  // the API's for that filter; the back button undoes it.
  async filter() {
    const b = await open({expectedFailures: [["/v1/alerts", 404]]});
    try {
      await signIn(b.page, "?period=7d");
      await ready(b.page, "overview");
      const all = (await figures(b.page)).total;
      const app = "billing.example";
      await b.page.locator("#apps-table tbody tr", {has: b.page.getByRole("button",
        {name: app, exact: true})}).getByRole("button").click();
      await b.page.waitForURL((u) => u.searchParams.get("app") === app);
      await ready(b.page, "overview");
      const ov = await api("v1/overview", {days: "7"});
      const f = await figures(b.page);
      const want = ov.apps.find((a) => a.app === app).total;
      assert.equal(f.total, want, "the app's events");
      assert.ok(f.total < all);
      assert.deepEqual(f.appRows.map((r) => r.app), [app]);
      const counts = await api("v1/counts", {app, from: ov.from, to: ov.to});
      const perEvent = {};
      for (const c of counts.counts) {
        perEvent[c.event] = (perEvent[c.event] || 0) + c.count;
      }
      const top = f.topRows[0];
      assert.equal(Number(top.count), Math.max(...Object.values(perEvent)));
      await b.page.locator("#top-table tbody tr").first().getByRole("button").click();
      await b.page.waitForURL((u) => u.searchParams.get("event") === top.event);
      await ready(b.page, "overview");
      const g = await figures(b.page);
      assert.equal(g.total, perEvent[top.event]);
      assert.equal(new URL(b.page.url()).searchParams.get("app"), app);
      // The filter holds on the events list too.
      await b.page.getByRole("link", {name: "Events"}).click();
      await ready(b.page, "events");
      const shown = await b.page.locator("#events-table tbody tr[data-seq]").count();
      const listed = await allEvents({app, event: top.event, since: ov.from});
      assert.equal(shown, Math.min(100, listed.length));
      assert.equal(await b.page.locator("#ev-app").inputValue(), app);
      // Back to the app alone, then to everything.
      await b.page.goBack();
      await b.page.goBack();
      await b.page.waitForURL((u) => !u.searchParams.get("event"));
      await ready(b.page, "overview");
      assert.equal((await figures(b.page)).total, want);
      await b.page.getByRole("button", {name: `Remove the app filter ${app}`}).first().click();
      await b.page.waitForURL((u) => !u.searchParams.get("app"));
      await ready(b.page, "overview");
      assert.equal((await figures(b.page)).total, all);
      assert.deepEqual(b.problems, []);
    } finally {
      await b.close();
    }
  },

  // Next page until there is none: every event of the period once, in the API's order.
  async paging() {
    const b = await open({expectedFailures: [["/v1/alerts", 404]]});
    try {
      const ov = await api("v1/overview", {days: "7"});
      const want = (await allEvents({since: ov.from})).map((e) =>
        `${e.day}/${e.host ? e.host + "/" : ""}${e.seq}`);
      assert.ok(want.length > 100, `${want.length} events`);
      await signIn(b.page, "?view=events&period=7d&limit=25");
      await ready(b.page, "events");
      const seen = [];
      for (let page = 0; page < 100; page++) {
        const ids = await b.page.locator("#events-table tbody tr[data-seq]").evaluateAll((rows) =>
          rows.map((r) => r.querySelector("td.seq").textContent));
        assert.ok(ids.length <= 25);
        seen.push(...ids);
        const next = b.page.locator("#ev-next");
        if (await next.isDisabled()) {
          break;
        }
        await next.click();
        await ready(b.page, "events");
      }
      assert.equal(new Set(seen).size, seen.length, "no event shown twice");
      assert.deepEqual(seen, want, "every event once, oldest first");
      await b.page.locator("#ev-prev").click();
      await ready(b.page, "events");
      const back = await b.page.locator("#events-table tbody td.seq").first().textContent();
      assert.equal(back, want[Math.floor((want.length - 1) / 25) * 25 - 25]);
      // A day filter from the form: the address carries it; yesterday's events only.
      const yesterday = ov.days[ov.days.length - 2].day;
      await b.page.locator("#ev-day").fill(yesterday);
      await b.page.locator("#events-form button[type=submit]").click();
      await b.page.waitForURL((u) => u.searchParams.get("day") === yesterday);
      await ready(b.page, "events");
      const days = await b.page.locator("#events-table tbody tr[data-seq]")
        .evaluateAll((rows) => rows.map((r) => r.dataset.day));
      assert.equal(days.length, 25);
      assert.ok(days.every((d) => d === yesterday));
      // A time range instead (UTC): yesterday 06:00 to 12:00.
      await b.page.locator("#ev-day").fill("");
      await b.page.locator("#ev-since").fill(`${yesterday}T06:00`);
      await b.page.locator("#ev-until").fill(`${yesterday}T12:00`);
      await b.page.locator("#events-form button[type=submit]").click();
      await b.page.waitForURL((u) => u.searchParams.get("since") === `${yesterday}T06:00:00Z`
        && u.searchParams.get("until") === `${yesterday}T12:00:00Z` && !u.searchParams.get("day"));
      await ready(b.page, "events");
      const times = await b.page.locator("#events-table tbody tr[data-seq] time")
        .evaluateAll((ts) => ts.map((t) => t.getAttribute("datetime")));
      const inRange = await allEvents({since: `${yesterday}T06:00:00Z`,
        until: `${yesterday}T12:00:00Z`});
      assert.deepEqual(times, inRange.slice(0, 25).map((e) => e.time));
      assert.ok(times.every((t) => t >= `${yesterday}T06` && t < `${yesterday}T12`));
      assert.deepEqual(b.problems, []);
    } finally {
      await b.close();
    }
  },

  // Values by type; the hostile value is text, nothing runs.
  async values() {
    const b = await open({expectedFailures: [["/v1/alerts", 404], ["/v1/events", 400]]});
    try {
      await signIn(b.page, "?view=events&app=billing.example");
      await ready(b.page, "events");
      const cell = (event) => b.page.locator("#events-table tbody tr", {has: b.page.locator(
        "td.event", {hasText: new RegExp(`^${event.replace(".", "\\.")}`)})}).first()
        .locator("td.value");
      assert.equal(await cell("invoice.pdf").textContent(), "BLOB, 11 bytes");
      assert.equal(await cell("invoice.due").locator("time").getAttribute("datetime"),
        "2026-01-31");
      assert.equal(await cell("invoice.due").textContent(), "31 Jan 2026");
      assert.match(await cell("invoice.paid").textContent(), /^1 Dec 2025, 10:30:00 (UTC|GMT)$/);
      const json = await cell("invoice.meta").locator("pre").textContent();
      assert.deepEqual(JSON.parse(json), {plan: "pro", seats: 3, note: HOSTILE});
      assert.ok(json.includes("\n  \"plan\": \"pro\""), "pretty-printed");
      assert.equal(await cell("payment.ms").textContent(), "0.25");
      await b.page.goto(UI + "?view=events&app=shop.example&event=search");
      await ready(b.page, "events");
      const text = await b.page.locator("#events-table tbody td.value").first().textContent();
      assert.equal(text, HOSTILE);
      // The host of the event, when the API names one.
      const [hostile] = (await api("v1/events", {app: "shop.example", event: "search"})).events;
      const hostCell = b.page.locator("#events-table tbody td.host-col").first();
      if (hostile.host) {
        assert.equal(await hostCell.textContent(), hostile.host);
        assert.equal(await hostCell.isVisible(), true);
        assert.equal(await b.page.locator("#events-table th.host-col").isVisible(), true);
        assert.equal(await b.page.locator("#events-table tbody td.seq").first().textContent(),
          `${hostile.day}/${hostile.host}/${hostile.seq}`);
      } else {
        assert.equal(await hostCell.isVisible(), false);
      }
      assert.equal(await b.page.locator("main img").count(), 0, "no element made from a value");
      // The same text as a filter: the API refuses the name, the page says which filter.
      await b.page.goto(UI + "?view=events&app=" + encodeURIComponent(HOSTILE));
      await b.page.locator("#problem", {hasText: /refused the filter “app”/}).waitFor();
      assert.equal(await b.page.locator("#ev-app").inputValue(), HOSTILE);
      assert.equal(await b.page.locator("main img").count(), 0);
      await b.page.waitForTimeout(300);  // an onerror would have fired by now
      assert.deepEqual(b.problems, []);
    } finally {
      await b.close();
    }
  },

  // A new event shows within two seconds; pause holds events back without losing them; the
  // stream's end (tail.max_seconds) is bridged with Last-Event-ID; clear empties the list.
  async live() {
    const b = await open({expectedFailures: [["/v1/alerts", 404]]});
    try {
      await signIn(b.page, "?view=live&app=shop.example");
      await b.page.locator('#live-status[data-state="live"]').waitFor({timeout: 15000});
      const row = (value) => b.page.locator("#live-table tbody tr", {has: b.page.locator(
        "td.value", {hasText: value})});
      const v1 = `live-${Date.now()}`;
      const t0 = Date.now();
      await putEvent("shop.example", "live.check", v1);
      await row(v1).waitFor({timeout: 2000});
      const took = Date.now() - t0;
      console.log(`INFO live: a new event was shown ${took} ms after it was logged`);
      assert.ok(took <= 2000);
      await putEvent("billing.example", "live.check", "other-app");
      await b.page.locator("#live-pause").click();
      assert.equal(await b.page.locator("#live-pause").getAttribute("aria-pressed"), "true");
      const v2 = `paused-${Date.now()}`;
      await putEvent("shop.example", "live.check", v2);
      await b.page.waitForTimeout(1500);
      assert.equal(await row(v2).count(), 0, "nothing is shown while paused");
      await b.page.locator("#live-pause").click();
      await row(v2).waitFor({timeout: 3000});
      // Past the server's bound on one stream: the page reconnected and still follows.
      const bound = Number(process.env.ITSLOG_TAIL_SECONDS || "3");
      await b.page.waitForTimeout((bound + 1) * 1000);
      const v3 = `after-reconnect-${Date.now()}`;
      await putEvent("shop.example", "live.check", v3);
      await row(v3).waitFor({timeout: 3000});
      const values = await b.page.locator("#live-table tbody td.value").allTextContents();
      assert.deepEqual(values, [v3, v2, v1], "each once, newest first, only the filtered app");
      await b.page.locator("#live-clear").click();
      assert.equal(await b.page.locator("#live-table tbody tr[data-seq]").count(), 0);
      assert.match(await b.page.locator("#live-table tbody").textContent(), /No new events yet/);
      // Leaving the view ends the stream.
      await b.page.getByRole("link", {name: "Overview"}).click();
      await ready(b.page, "overview");
      assert.deepEqual(b.problems, []);
    } finally {
      await b.close();
    }
  },

  // A wrong key, a key without read and an API that does not answer each say so.
  async keys() {
    const cases = [
      {key: env("ITSLOG_KEY_UNKNOWN"), base: UI, status: 401,
        want: /does not know this key/},
      {key: env("ITSLOG_KEY_INGEST_ONLY"), base: UI, status: 403, want: /no read scope/},
    ];
    for (const c of cases) {
      const b = await open({expectedFailures: [["/v1/", c.status]]});
      try {
        await signIn(b.page, "", c.key);
        const msg = b.page.locator("#key-message");
        await msg.filter({hasText: c.want}).waitFor({timeout: 10000});
        assert.equal(await b.page.locator("#view-key").isVisible(), true);
        assert.equal(await b.page.evaluate(() => sessionStorage.length), 0, "a bad key is not kept");
        await b.page.screenshot({path: join(SHOTS, `dashboard-key-${c.status}.png`)});
        assert.deepEqual(b.problems, []);
      } finally {
        await b.close();
      }
    }
    // A key for one app, asked about another: the page says so and keeps the key.
    {
      const b = await open({expectedFailures: [["/v1/", 403], ["/v1/alerts", 404]]});
      await signIn(b.page, "?app=shop.example", env("ITSLOG_KEY_READ_A"));
      await b.page.locator("#problem", {hasText: /may not see that app/}).waitFor({timeout: 10000});
      assert.equal(await b.page.locator("#view-key").isVisible(), false);
      await b.page.getByRole("button", {name: "Remove the app filter shop.example"}).first().click();
      await ready(b.page, "overview");
      assert.deepEqual(b.problems, []);
    }
    // A web server whose workers are absent: 502.
    const dead = new URL("ui/", env("ITSLOG_DEAD_BASE")).href;
    let b = await open({expectedFailures: [["/v1/", 502]]});
    try {
      await b.page.goto(dead);
      await b.page.locator("#key-input").fill(KEY);
      await b.page.locator("#key-form button[type=submit]").click();
      await b.page.locator("#problem", {hasText: /API behind it does not \(HTTP 502\): are the its-log workers running/})
        .waitFor({timeout: 10000});
      assert.deepEqual(b.problems, []);
    } finally {
      await b.close();
    }
    // No answer at all: the network goes away after the page loaded.
    b = await open({expectedFailures: [["/v1/", 404]]});
    try {
      await signIn(b.page);
      await ready(b.page, "overview");
      await b.context.setOffline(true);
      await b.page.locator("#period").selectOption("30d");
      await b.page.locator("#problem", {hasText: /does not answer at \/its-log\//})
        .waitFor({timeout: 10000});
      await b.context.setOffline(false);
      await b.page.getByRole("button", {name: "Try again"}).click();
      await ready(b.page, "overview");
      assert.equal(await b.page.locator("#problem").isVisible(), false);
      // The key is kept for the tab, and forgotten on request.
      assert.equal(await b.page.evaluate(() => sessionStorage.getItem("itslog.key")), KEY);
      await b.page.getByRole("button", {name: "Forget key"}).click();
      assert.equal(await b.page.evaluate(() => sessionStorage.length), 0);
      await b.page.locator("#key-input").waitFor();
      b.problems = b.problems.filter((p) => !p.includes("net::ERR_INTERNET_DISCONNECTED"));
      assert.deepEqual(b.problems, []);
    } finally {
      await b.close();
    }
  },

  // 375 px wide in dark mode: nothing wider than the screen, dark colours, every form control
  // labelled, the key form reachable by keyboard.
  async small() {
    const b = await open({viewport: {width: 375, height: 800}, colorScheme: "dark",
      expectedFailures: [["/v1/alerts", 404]]});
    try {
      await b.page.goto(UI);
      await b.page.locator("#key-input").waitFor();
      assert.equal(await b.page.evaluate(() => document.activeElement.id), "key-input",
        "the key field has the focus");
      await b.page.keyboard.type(KEY);
      await b.page.keyboard.press("Tab");
      assert.equal(await b.page.evaluate(() => document.activeElement.textContent), "Open");
      await b.page.keyboard.press("Enter");
      await ready(b.page, "overview");
      for (const view of ["overview", "events", "live"]) {
        if (view !== "overview") {
          await b.page.getByRole("link", {name: view[0].toUpperCase() + view.slice(1)}).click();
          if (view === "events") {
            await ready(b.page, "events");
          } else {
            await b.page.locator('#live-status[data-state="live"]').waitFor();
          }
        }
        const width = await b.page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(width <= 375, `${view}: the page is ${width} px wide`);
        const unlabelled = await b.page.evaluate(() =>
          Array.from(document.querySelectorAll("input, select, textarea"))
            .filter((e) => !e.labels || e.labels.length === 0).map((e) => e.id || e.name));
        assert.deepEqual(unlabelled, []);
        await b.page.screenshot({path: join(SHOTS, `dashboard-375-dark-${view}.png`),
          fullPage: true});
      }
      const bg = await b.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
      assert.equal(bg, "rgb(13, 17, 23)", "dark background");
      assert.deepEqual(await lowContrast(b.page), [], "contrast in dark mode");
      await b.page.getByRole("link", {name: "Overview"}).click();
      await ready(b.page, "overview");
      assert.deepEqual(b.problems, []);
    } finally {
      await b.close();
    }
  },

  // Without the alerts API (404), the Alerts view is not offered. With it, the view shows the
  // incidents; a key that may not change them is told so; one that may acknowledges and
  // comments.
  async alerts() {
    const probe = await fetch(new URL("v1/alerts", BASE), {headers: {Authorization: `Bearer ${KEY}`}});
    if (probe.status === 404) {
      const b = await open({expectedFailures: [["/v1/alerts", 404]]});
      await signIn(b.page);
      await ready(b.page, "overview");
      await b.page.waitForTimeout(500);
      assert.equal(await b.page.locator("#nav-alerts").isVisible(), false);
      assert.deepEqual(b.problems, []);
      return;
    }
    assert.equal(probe.status, 200, "GET /v1/alerts answers 200 or 404");
    const admin = env("ITSLOG_KEY_ADMIN");
    const title = `Disk full ${HOSTILE}`;
    const made = await fetch(new URL("v1/incidents", BASE), {method: "POST",
      headers: {Authorization: `Bearer ${admin}`, "Content-Type": "application/json"},
      body: JSON.stringify({title, severity: "critical", app: "shop.example"})});
    assert.equal(made.status, 201, await made.clone().text());
    const id = (await made.json()).id;
    const ruleName = `Checkouts stopped ${HOSTILE}`;
    const rule = await fetch(new URL("v1/alerts/rules", BASE), {method: "POST",
      headers: {Authorization: `Bearer ${admin}`, "Content-Type": "application/json"},
      body: JSON.stringify({name: ruleName, query: {app: "shop.example", event: "checkout"},
        comparator: "<", threshold: 1, window_seconds: 3600, severity: "critical"})});
    assert.equal(rule.status, 201, await rule.clone().text());
    const row = (page) => page.locator(`#incidents-table tbody tr[data-id="${id}"]`);
    // A read key: sees it, may not acknowledge it.
    let b = await open({expectedFailures: [["/v1/incidents", 403]]});
    await signIn(b.page);
    await ready(b.page, "overview");
    await b.page.locator("#nav-alerts a").click();
    await ready(b.page, "alerts");
    assert.equal(await row(b.page).locator("td").first().textContent(), title);
    const ruleRow = b.page.locator("#alerts-table tbody tr", {hasText: ruleName});
    assert.equal(await ruleRow.locator("td").nth(1).textContent(), "critical");
    await row(b.page).getByRole("button", {name: /^Acknowledge/}).click();
    await b.page.locator("#problem", {hasText: /may not change incidents/}).waitFor();
    assert.equal(await row(b.page).getAttribute("data-status"), "triggered");
    assert.deepEqual(b.problems, []);
    // A key that may: acknowledge, then comment.
    b = await open({});
    await signIn(b.page, "?view=alerts", admin);
    await ready(b.page, "alerts");
    await row(b.page).getByRole("button", {name: /^Acknowledge/}).click();
    await b.page.locator(`#incidents-table tbody tr[data-id="${id}"][data-status="acknowledged"]`)
      .waitFor();
    await row(b.page).getByRole("button", {name: "Timeline"}).click();
    await b.page.locator("#comment-input").fill(`looking ${HOSTILE}`);
    await b.page.locator("#comment-form button[type=submit]").click();
    await b.page.locator("#incident-timeline li", {hasText: `looking ${HOSTILE}`}).waitFor();
    assert.equal(await b.page.locator("main img").count(), 0);
    await b.page.screenshot({path: join(SHOTS, "dashboard-alerts.png"), fullPage: true});
    assert.deepEqual(b.problems, []);
  },
};

const name = process.argv[2];
if (!cases[name]) {
  console.error(`unknown case ${name}; cases: ${Object.keys(cases).join(", ")}`);
  process.exit(2);
}
const started = Date.now();
try {
  await cases[name]();
  console.log(`PASS ${name} (${Date.now() - started} ms)`);
} catch (err) {
  console.log(`FAIL ${name}: ${err && err.stack ? err.stack : err}`);
  let i = 0;
  for (const {page} of opened) {
    const path = join(SHOTS, `failed-${name}-${i++}.png`);
    try {
      await page.screenshot({path, fullPage: true});
      console.log(`page ${page.url()} (screenshot ${path}):\n${await page.locator("body")
        .innerText()}`);
    } catch (e) {
      console.log(`no screenshot: ${e.message}`);
    }
  }
  process.exitCode = 1;
} finally {
  for (const {context, profile} of opened) {
    await context.close().catch(() => {});
    rmSync(profile, {recursive: true, force: true});
  }
}
