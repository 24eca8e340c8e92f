// The dashboard's overview timed in Debian's Chromium (playwright-core): from the start of
// loading the page until the figures and the chart are drawn (#view-overview data-state=ready),
// with the key already in the tab. Started by tests/bench/dashboard_bench.py.
//
// Environment: ITSLOG_BASE, ITSLOG_KEY, BENCH_LOADS (loads after the first, default 5).
// Prints one JSON line: wall-clock times as the harness sees them (first_ms, loads_ms,
// median_ms, max_ms) and the page's own (first_page_ms, page_loads_ms, ...: from the start of
// navigation to the performance mark the overview sets once figures and chart are drawn).

import {mkdtempSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {chromium} from "playwright-core";

const BASE = process.env.ITSLOG_BASE;
const KEY = process.env.ITSLOG_KEY;
const LOADS = Number(process.env.BENCH_LOADS || "5");
const UI = new URL("ui/", BASE).href;
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const profile = mkdtempSync(join(tmpdir(), "itslog-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium", headless: true, args: FLAGS,
  viewport: {width: 1280, height: 900},
});
try {
  const page = context.pages()[0] || await context.newPage();
  // The page itself once, without a key (it asks for one and reads nothing), then the key in
  // the tab's sessionStorage: the overview has not been asked for yet.
  await page.goto(UI);
  await page.locator("#key-input").waitFor();
  await page.evaluate((key) => sessionStorage.setItem("itslog.key", key), KEY);
  const once = async () => {
    const t0 = Date.now();
    await page.goto(UI, {waitUntil: "commit"});
    await page.locator('#view-overview[data-state="ready"]').waitFor({timeout: 60000});
    const ms = Date.now() - t0;
    const drawn = await page.locator("#chart").getAttribute("data-drawn");
    const total = await page.locator("#fig-total").getAttribute("data-value");
    if (drawn !== "24" || !(Number(total) > 0)) {
      throw new Error(`overview incomplete: chart ${drawn}, total ${total}`);
    }
    // Where the time went: the page's requests to the API, and when the first byte came.
    const api = await page.evaluate(() => performance.getEntriesByType("resource")
      .filter((e) => e.name.includes("/v1/"))
      .map((e) => `${new URL(e.name).pathname.replace(/.*\/v1\//, "")}` +
        ` ${Math.round(e.startTime)}+${Math.round(e.duration)}`));
    // The page's own clock: from the start of navigation to the figures and chart drawn.
    const page_ms = await page.evaluate(() => Math.round(
      performance.getEntriesByName("itslog-overview-ready")[0].startTime));
    return {ms, page_ms, total: Number(total), api};
  };
  const first = await once();
  const loads = [];
  const pageLoads = [];
  const requests = [first.api];
  for (let i = 0; i < LOADS; i++) {
    const r = await once();
    loads.push(r.ms);
    pageLoads.push(r.page_ms);
    requests.push(r.api);
  }
  const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(JSON.stringify({first_ms: first.ms, first_page_ms: first.page_ms,
    total: first.total, loads_ms: loads, page_loads_ms: pageLoads, median_ms: median(loads),
    max_ms: Math.max(...loads), median_page_ms: median(pageLoads),
    max_page_ms: Math.max(...pageLoads), requests}));
} finally {
  await context.close();
  rmSync(profile, {recursive: true, force: true});
}
