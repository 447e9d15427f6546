// Helpers shared by every page script (planning, unsafe places, register, coverage): DOM
// nodes from text (never HTML), Swedish numbers, Europe/Stockholm times and the API call
// with the session's CSRF token. Loaded before the page's own script; exposes window.Trygg.
(function () {
  "use strict";
  const TIME_ZONE = "Europe/Stockholm";

  // An element whose content is `text` as text (user data never becomes HTML).
  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  // Swedish numbers: decimal comma, (narrow) space between thousands.
  function num(x, digits) {
    const d = digits === undefined ? 1 : digits;
    return Number(x).toLocaleString("sv-SE", {maximumFractionDigits: d});
  }
  // A number with exactly `digits` decimals ("0,28").
  function fixed(x, digits) {
    return Number(x).toLocaleString("sv-SE", {minimumFractionDigits: digits,
                                              maximumFractionDigits: digits});
  }
  // A share 0..1 as a Swedish percentage ("9,5 %").
  function pct(x, digits) { return num(100 * x, digits) + " %"; }
  // A count with its noun in the right number: "1 händelse", "2 händelser", "1 234 rapporter"
  // (geo.formats.plural_sv on the server).
  function plural(n, one, many) { return num(n, 0) + " " + (Number(n) === 1 ? one : many); }

  // Wall-clock parts of an instant in Stockholm.
  function stockholmParts(instant) {
    const parts = {};
    new Intl.DateTimeFormat("en-GB", {timeZone: TIME_ZONE, hourCycle: "h23", year: "numeric",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit"})
      .formatToParts(instant).forEach((p) => { parts[p.type] = p.value; });
    return parts;
  }
  // Today's date in Stockholm as YYYY-MM-DD (not UTC's: toISOString gives yesterday
  // between midnight and 02:00 summer time).
  function stockholmToday(now) {
    const p = stockholmParts(now || new Date());
    return p.year + "-" + p.month + "-" + p.day;
  }
  // Minutes Stockholm is ahead of UTC at `instant` (60 in winter, 120 in summer).
  function offsetMinutes(instant) {
    const p = stockholmParts(instant);
    const asUtc = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
    return Math.round((asUtc - Math.floor(instant.getTime() / 1000) * 1000) / 60000);
  }
  // The instant of a Stockholm wall-clock date ("2024-10-27") and time ("02:30").
  function stockholmInstant(date, time) {
    const [y, mo, d] = date.split("-").map(Number);
    const [h, mi] = (time || "00:00").split(":").map(Number);
    const wall = Date.UTC(y, mo - 1, d, h, mi);
    let t = wall - offsetMinutes(new Date(wall)) * 60000;
    t = wall - offsetMinutes(new Date(t)) * 60000;  // second pass settles clock-change days
    return new Date(t);
  }
  // ISO 8601 with Stockholm's offset at that instant ("2024-10-27T03:30:00+01:00").
  function stockholmIso(instant) {
    const p = stockholmParts(instant);
    const off = offsetMinutes(instant);
    const sign = off < 0 ? "-" : "+";
    const a = Math.abs(off);
    const two = (n) => String(n).padStart(2, "0");
    return p.year + "-" + p.month + "-" + p.day + "T" + p.hour + ":" + p.minute + ":" + p.second +
      sign + two(Math.floor(a / 60)) + ":" + two(a % 60);
  }
  // The Stockholm date of an instant or ISO text ("2024-09-01"; UTC's would be the day before
  // for a local midnight).
  function stockholmDate(value) {
    const p = stockholmParts(new Date(value));
    return p.year + "-" + p.month + "-" + p.day;
  }
  // The last Stockholm day of a period that ends (exclusively) at `value`.
  function stockholmLastDay(value) { return stockholmDate(new Date(new Date(value).getTime() - 1)); }
  // A time as Stockholm people read it ("2024-09-01 18:03").
  function stockholmText(value) {
    return new Date(value).toLocaleString("sv-SE", {timeZone: TIME_ZONE, dateStyle: "short",
                                                    timeStyle: "short"});
  }

  // The session's CSRF token (api/security.py fills the meta tag); sent with every request.
  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  // fetch against the API: JSON in and out; a failed answer throws an Error carrying the
  // API's Swedish `error` text (and its `code` and HTTP status).
  async function api(path, options) {
    const opts = Object.assign({credentials: "same-origin"}, options || {});
    opts.headers = Object.assign({"X-CSRF-Token": csrfToken()}, opts.headers || {});
    const response = await fetch(path, opts);
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) {
      const error = new Error(body && body.error ? body.error : "HTTP " + response.status);
      error.status = response.status;
      error.code = body && body.code ? body.code : null;
      throw error;
    }
    return body;
  }
  // An API call with a JSON body (POST unless `method` says otherwise).
  function send(path, data, method) {
    const opts = {method: method || "POST"};
    if (data !== undefined && data !== null) {
      opts.headers = {"Content-Type": "application/json"};
      opts.body = JSON.stringify(data);
    }
    return api(path, opts);
  }

  // A table of text cells.
  function table(headers, rows) {
    const t = el("table");
    const head = el("tr");
    headers.forEach((h) => head.appendChild(el("th", h)));
    t.appendChild(head);
    rows.forEach((r) => {
      const tr = el("tr");
      r.forEach((v) => tr.appendChild(el("td", v)));
      t.appendChild(tr);
    });
    return t;
  }

  // The parts of a popup asked for when it opens (maps/base.py `LazyCell`): each
  // `.trygg-lazy` span names a JSON answer (`data-src`, fetched once per page) and its key in
  // the answer's `values`.
  const lazyAnswers = {};
  function fillLazy(root) {
    if (!root) return;
    root.querySelectorAll(".trygg-lazy[data-src]").forEach((span) => {
      const src = span.dataset.src;
      lazyAnswers[src] = lazyAnswers[src] || api(src, {headers: {Accept: "application/json"}});
      lazyAnswers[src].then((doc) => {
        const value = doc && doc.values ? doc.values[span.dataset.key] : null;
        span.textContent = value === undefined || value === null ? "–" : value;
        span.classList.remove("trygg-lazy");
      }).catch(() => {
        delete lazyAnswers[src];  // asked again the next time a popup opens
        span.textContent = "kunde inte beräknas just nu";
      });
    });
  }

  // One Leaflet GeoJSON layer for a whole kind of feature (maps/base.py `FeatureLayer`): each
  // feature names its look in `styles` (properties.s); points are circles in metres when the
  // style has `radius_m` (a feature's own in properties.r), else dots; `popup` and `tooltip`
  // are markup escaped on the server,
  // `label` a permanent tooltip (the options of `labels`).
  function featureLayer(data, styles, options) {
    const opts = options || {};
    const look = (f) => styles[f.properties.s] || {};
    return L.geoJSON(data, {
      pane: opts.pane || "overlayPane",
      style: look,
      pointToLayer: (f, latlng) => {
        const s = Object.assign({pane: opts.pane || "overlayPane"}, look(f));
        const radius = f.properties.r || s.radius_m;
        return radius ? L.circle(latlng, Object.assign(s, {radius: radius}))
          : L.circleMarker(latlng, s);
      },
      onEachFeature: (f, layer) => {
        const p = f.properties;
        if (p.label) layer.bindTooltip(p.label, opts.labels || {permanent: true});
        else if (p.tooltip) layer.bindTooltip(p.tooltip, {sticky: true});
        if (p.popup) {
          layer.bindPopup(p.popup, {maxWidth: opts.popupWidth || 320});
          layer.on("popupopen", (e) => fillLazy(e.popup.getElement()));
        }
      },
    });
  }

  // Every scale bar in metres only, whichever page adds one (Leaflet's default adds miles).
  if (window.L && L.Control && L.Control.Scale) { L.Control.Scale.mergeOptions({imperial: false}); }

  window.Trygg = {TIME_ZONE, el, num, fixed, pct, plural, table, csrfToken, api, send,
                  stockholmToday, stockholmInstant, stockholmIso, stockholmText, stockholmDate,
                  stockholmLastDay, offsetMinutes, featureLayer};
})();
