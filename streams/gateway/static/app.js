// The live page: alerts over SSE, stories, a chart of events per category, feed health.
// No framework, no build step. Every value from the server goes in with textContent.
"use strict";

const TOKEN = new URLSearchParams(location.search).get("token");
const MAX_ALERTS = 100;
const CHART_HOURS = 6;
const COLORS = {
  strike: "#b42318", diplomacy: "#2459c7", production_policy: "#c98a06", other: "#8a94a6",
};
const EXTRA_COLORS = ["#067647", "#7a2ec2", "#0e7c86", "#a15c07", "#4b5563"];

const $ = (id) => document.getElementById(id);
const alerts = new Map(); // alert_id -> element
const stories = new Map(); // story_id -> summary
let lastId = null;
let source = null;

function withToken(path) {
  if (!TOKEN) return path;
  const url = new URL(path, location.origin);
  url.searchParams.set("access_token", TOKEN);
  return url.pathname + url.search;
}

async function getJSON(path) {
  const headers = TOKEN ? { Authorization: "Bearer " + TOKEN } : {};
  const resp = await fetch(path, { headers });
  if (!resp.ok) throw new Error(path + ": HTTP " + resp.status);
  return resp.json();
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

function colorOf(category) {
  if (COLORS[category]) return COLORS[category];
  let h = 0;
  for (const ch of category) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return EXTRA_COLORS[h % EXTRA_COLORS.length];
}

function topCategory(alert) {
  const cats = alert.categories || [];
  if (!cats.length) return "other";
  return cats.reduce((a, b) => (b.score > a.score ? b : a)).name;
}

function safeUrl(url) {
  return /^https?:\/\//i.test(url || "") ? url : null;
}

function timeOf(iso) {
  const d = new Date(iso);
  return isNaN(d) ? "" : d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

function setStatus(kind, text) {
  const s = $("status");
  s.className = "status status-" + kind;
  s.textContent = text;
}

// ---- alerts ------------------------------------------------------------------------

function renderAlert(alert, fresh) {
  const sev = Math.min(5, Math.max(1, alert.severity | 0));
  const category = topCategory(alert);
  const url = safeUrl(alert.url);
  const headline = url
    ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, alert.headline)
    : alert.headline;
  const countries = [...new Set((alert.places || []).map((p) => p.country_code).filter(Boolean))];
  const chip = el("span", { class: "chip" }, category.replace(/_/g, " "));
  chip.style.background = colorOf(category);
  const meta = el(
    "div", { class: "meta" },
    chip,
    alert.action === "update" ? el("span", {}, "update #" + alert.revision) : el("span", {}, "new"),
    countries.length ? el("span", {}, countries.join(", ")) : null,
    el("span", {}, alert.source_count + (alert.source_count === 1 ? " source" : " sources")),
    el("time", { datetime: alert.created_at || alert.first_seen }, timeOf(alert.created_at || alert.first_seen)),
  );
  return el(
    "li", { class: "alert" + (fresh ? " fresh" : ""), "data-alert-id": alert.alert_id },
    el("div", { class: "sev sev-" + sev, title: "severity " + sev }, String(sev)),
    el("div", { class: "headline" }, headline),
    meta,
  );
}

function addAlert(alert, fresh) {
  if (!alert || !alert.alert_id || alerts.has(alert.alert_id)) return;
  const item = renderAlert(alert, fresh);
  const list = $("alerts");
  if (fresh) list.prepend(item); else list.append(item);
  alerts.set(alert.alert_id, item);
  while (alerts.size > MAX_ALERTS) {
    const oldest = list.lastElementChild;
    alerts.delete(oldest.getAttribute("data-alert-id"));
    oldest.remove();
  }
  $("alerts-empty").hidden = alerts.size > 0;
  $("alert-count").textContent = String(alerts.size);
  noteStory(alert);
}

// ---- stories ---------------------------------------------------------------------------

function noteStory(alert) {
  const known = stories.get(alert.story_id);
  if (known && known.revision > alert.revision) return;
  stories.set(alert.story_id, {
    story_id: alert.story_id, headline: alert.headline, url: alert.url,
    category: topCategory(alert), severity: alert.severity, revision: alert.revision,
    source_count: alert.source_count, updated_at: alert.created_at || alert.first_seen,
  });
  renderStories();
}

function renderStories() {
  const body = $("stories").tBodies[0];
  const rows = [...stories.values()]
    .sort((a, b) => String(b.updated_at).localeCompare(String(a.updated_at)))
    .slice(0, 25)
    .map((s) => {
      const url = safeUrl(s.url);
      const title = url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, s.headline) : s.headline;
      return el(
        "tr", { "data-story-id": s.story_id },
        el("td", {}, title), el("td", {}, s.category.replace(/_/g, " ")),
        el("td", {}, String(s.severity)), el("td", {}, String(s.source_count)),
        el("td", {}, timeOf(s.updated_at)),
      );
    });
  body.replaceChildren(...rows);
  $("stories-empty").hidden = rows.length > 0;
  $("stories").hidden = rows.length === 0;
}

// ---- live stream -----------------------------------------------------------------------

function connect() {
  let path = "/v1/alerts/stream";
  // A fresh EventSource forgets the last id; hand it over ourselves.
  if (lastId) path += "?last_event_id=" + encodeURIComponent(lastId);
  source = new EventSource(withToken(path));
  source.addEventListener("ready", (e) => {
    if (e.lastEventId) lastId = e.lastEventId;
    setStatus("live", "live");
  });
  source.addEventListener("alert", (e) => {
    if (e.lastEventId) lastId = e.lastEventId;
    try { addAlert(JSON.parse(e.data), true); } catch (err) { console.warn("bad alert", err); }
    scheduleChart(2000);
  });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      // The server refused (401, 429, 503): the browser will not retry by itself.
      setStatus("down", "disconnected — retrying");
      source.close();
      setTimeout(connect, 5000);
    } else {
      setStatus("connecting", "reconnecting…");
    }
  };
}

// ---- chart ------------------------------------------------------------------------------

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text != null) node.textContent = text;
  return node;
}

function drawChart(stats) {
  const W = 560, H = 220, left = 34, bottom = 22, top = 10, right = 8;
  const buckets = stats.buckets || [];
  const cats = stats.categories || [];
  const totals = buckets.map((b) => Object.values(b.counts).reduce((a, n) => a + n, 0));
  const max = Math.max(1, ...totals);
  const step = Math.max(1, Math.ceil(max / 4));
  const ceil = step * Math.ceil(max / step);
  const plotH = H - top - bottom;
  const slot = (W - left - right) / Math.max(1, buckets.length);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "events per category per hour" });
  for (let v = 0; v <= ceil; v += step) {
    const y = top + plotH - (v / ceil) * plotH;
    root.append(svg("line", { x1: left, x2: W - right, y1: y, y2: y, stroke: "#e3e6eb" }));
    root.append(svg("text", { x: left - 6, y: y + 4, "text-anchor": "end" }, String(v)));
  }
  buckets.forEach((b, i) => {
    const x = left + i * slot + slot * 0.15;
    let y = top + plotH;
    for (const c of cats) {
      const n = b.counts[c] || 0;
      if (!n) continue;
      const h = (n / ceil) * plotH;
      y -= h;
      const rect = svg("rect", { x, y, width: slot * 0.7, height: h, fill: colorOf(c), rx: 2 });
      rect.append(svg("title", {}, `${c}: ${n}`));
      root.append(rect);
    }
    const label = new Date(b.start).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    root.append(svg("text", { x: x + slot * 0.35, y: H - 6, "text-anchor": "middle" }, label));
  });
  $("chart").replaceChildren(root);
  $("chart-hours").textContent = String(stats.hours);
  $("legend").replaceChildren(
    ...cats.map((c) => {
      const sw = el("span", { class: "swatch" });
      sw.style.background = colorOf(c);
      return el("li", {}, sw, `${c.replace(/_/g, " ")} (${stats.totals[c] || 0})`);
    }),
  );
  if (!cats.length) $("legend").replaceChildren(el("li", { class: "empty" }, "no events in this window"));
}

let chartTimer = null;
function scheduleChart(delay) {
  clearTimeout(chartTimer);
  chartTimer = setTimeout(refreshChart, delay);
}
async function refreshChart() {
  try {
    drawChart(await getJSON("/v1/stats/categories?hours=" + CHART_HOURS));
  } catch (err) {
    $("chart").replaceChildren(el("p", { class: "empty" }, "Chart not available."));
  }
  scheduleChart(30000);
}

// ---- feeds --------------------------------------------------------------------------------

function cell(v) {
  if (v == null) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

async function refreshFeeds() {
  const box = $("feeds");
  try {
    const body = await getJSON("/v1/feeds");
    const rows = Array.isArray(body) ? body : Array.isArray(body.feeds) ? body.feeds : null;
    if (!rows) throw new Error("unexpected shape");
    if (!rows.length) {
      box.replaceChildren(el("p", { class: "empty" }, "No feeds configured."));
    } else {
      const cols = [...new Set(rows.flatMap((r) => Object.keys(r)))].slice(0, 7);
      box.replaceChildren(el(
        "table", { class: "table", id: "feeds-table" },
        el("thead", {}, el("tr", {}, ...cols.map((c) => el("th", {}, c.replace(/_/g, " "))))),
        el("tbody", {}, ...rows.map((r) => el("tr", {}, ...cols.map((c) => el("td", {}, cell(r[c])))))),
      ));
    }
  } catch (err) {
    box.replaceChildren(el("p", { class: "empty", id: "feeds-unavailable" }, "Feed status not available."));
  }
  setTimeout(refreshFeeds, 60000);
}

// ---- start ---------------------------------------------------------------------------------

async function start() {
  try {
    const recent = await getJSON("/v1/alerts/recent?limit=50");
    for (const item of recent.alerts.slice().reverse()) addAlert(item.alert, true);
  } catch (err) {
    console.warn("recent alerts unavailable", err);
  }
  renderStories();
  connect();
  refreshChart();
  refreshFeeds();
}

start();
