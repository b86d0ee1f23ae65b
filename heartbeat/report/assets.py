"""The style sheet and the script of the report page, inlined into every page.

The script reads the page's data (one ``<script type="application/json">`` element),
decodes the 16-bit trace and draws the ECG viewer on a canvas: the whole recording
in an overview strip (drag or click it to move the view) and the current view below
it, zoomable with the wheel, the buttons or the keys ``+``/``-`` and movable by
dragging or with the arrow keys.  When zoomed out, each pixel column shows the min
and max of its samples, so no QRS complex disappears.  It uses no library and no
network.  When it has drawn, it sets ``data-rendered="1"`` on ``<html>``; an uncaught
error is written into ``data-errors`` (the tests read both).
"""

from __future__ import annotations

__all__ = ["SCRIPT", "STYLE"]

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;
background:#fafafa}
main{max-width:1200px;margin:0 auto;padding:12px 20px 40px}
h1{font-size:22px;margin:10px 0 2px}h2{font-size:17px;margin:26px 0 8px;
border-bottom:1px solid #ddd;padding-bottom:3px}
.sub{color:#666;margin:0 0 10px}
table{border-collapse:collapse}td,th{padding:3px 10px;text-align:left;
border-bottom:1px solid #e6e6e6}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;
vertical-align:-1px}
#viewer{background:#fff;border:1px solid #ddd;padding:8px;border-radius:4px}
#viewer canvas{display:block;width:100%}#overview{height:56px;cursor:pointer;
border-bottom:1px solid #eee}#ecg{height:300px;cursor:grab}
.controls{display:flex;gap:6px;align-items:center;flex-wrap:wrap;margin:6px 0}
.controls button{font:inherit;padding:2px 10px}
#status{color:#555;margin-left:8px;font-variant-numeric:tabular-nums}
.legend span{margin-right:14px}
.gallery{display:flex;flex-wrap:wrap;gap:12px}
svg .cap{font:600 13px system-ui,sans-serif}svg .ax{font:11px system-ui,sans-serif;
fill:#666}svg .grid{stroke:#e5e5e5}
.note{color:#666}.warn{color:#8a4b00}
code{background:#f0f0f0;padding:0 3px;border-radius:3px}
"""

SCRIPT = r"""
(function () {
  "use strict";
  var root = document.documentElement;
  window.addEventListener("error", function (e) {
    root.setAttribute("data-errors", (root.getAttribute("data-errors") || "") +
                      String(e.message) + ";");
  });
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var GAP = -32768;
  function decode(b64) {
    var bin = atob(b64), n = bin.length >> 1, out = new Int16Array(n);
    for (var i = 0; i < n; i++) {
      var v = bin.charCodeAt(2 * i) | (bin.charCodeAt(2 * i + 1) << 8);
      out[i] = v > 32767 ? v - 65536 : v;
    }
    return out;
  }
  var T = decode(D.trace.data), fs = D.trace.fs, N = T.length;
  var dur = D.duration_s, B = D.beats, colors = D.colors, names = D.classes;
  var stretches = D.stretches;
  var view = {start: 0, span: Math.min(10, dur)};
  var ecg = document.getElementById("ecg"), ov = document.getElementById("overview");
  var status = document.getElementById("status");

  function clock(t) {
    t = Math.max(0, t);
    var h = Math.floor(t / 3600), m = Math.floor(t % 3600 / 60), s = t % 60;
    var ss = (s < 10 ? "0" : "") + s.toFixed(view.span < 20 ? 1 : 0);
    return (h ? h + ":" + (m < 10 ? "0" : "") : "") + m + ":" + ss;
  }
  function setup(c) {
    var r = window.devicePixelRatio || 1, w = c.clientWidth || 900, h = c.clientHeight;
    c.width = Math.round(w * r); c.height = Math.round(h * r);
    var g = c.getContext("2d"); g.setTransform(r, 0, 0, r, 0, 0);
    return {g: g, w: w, h: h};
  }
  function range(i0, i1) {
    var lo = Infinity, hi = -Infinity;
    for (var i = i0; i < i1; i++) {
      var v = T[i]; if (v === GAP) continue;
      if (v < lo) lo = v; if (v > hi) hi = v;
    }
    if (lo === Infinity) { lo = -1; hi = 1; }
    if (hi - lo < 1) { hi += 1; lo -= 1; }
    var pad = 0.08 * (hi - lo);
    return [lo - pad, hi + pad];
  }
  // the trace between t0 and t0 + span in the box (x0, y0, w, h)
  function drawTrace(g, t0, span, x0, y0, w, h) {
    var i0 = Math.max(0, Math.floor(t0 * fs)), i1 = Math.min(N, Math.ceil((t0 + span) * fs) + 1);
    if (i1 <= i0) return;
    var r = range(i0, i1), lo = r[0], hi = r[1];
    function Y(v) { return y0 + (hi - v) * h / (hi - lo); }
    g.strokeStyle = "#222"; g.lineWidth = 1; g.beginPath();
    var perPx = (i1 - i0) / w;
    if (perPx > 2) {
      for (var px = 0; px < w; px++) {
        var a = i0 + Math.floor(px * perPx), b = Math.min(i1, i0 + Math.floor((px + 1) * perPx));
        var mn = Infinity, mx = -Infinity;
        for (var i = a; i < b; i++) {
          var v = T[i]; if (v === GAP) continue;
          if (v < mn) mn = v; if (v > mx) mx = v;
        }
        if (mn === Infinity) continue;
        g.moveTo(x0 + px + 0.5, Y(mx)); g.lineTo(x0 + px + 0.5, Y(mn) + 0.5);
      }
    } else {
      var pen = false;
      for (var j = i0; j < i1; j++) {
        if (T[j] === GAP) { pen = false; continue; }
        var x = x0 + (j / fs - t0) * w / span;
        if (pen) g.lineTo(x, Y(T[j])); else g.moveTo(x, Y(T[j]));
        pen = true;
      }
    }
    g.stroke();
  }
  function drawStretches(g, t0, span, w, h) {
    for (var k = 0; k < stretches.length; k++) {
      var s = stretches[k], a = (s[0] - t0) * w / span, b = (s[1] - t0) * w / span;
      if (b < 0 || a > w) continue;
      g.fillStyle = "rgba(120,120,120,0.22)";
      g.fillRect(a, 0, Math.max(1, b - a), h);
    }
  }
  function first(t) {  // index of the first beat at or after t
    var lo = 0, hi = B.t.length;
    while (lo < hi) { var m = (lo + hi) >> 1; if (B.t[m] < t) lo = m + 1; else hi = m; }
    return lo;
  }
  function drawBeats(g, t0, span, w, h, big) {
    var k0 = first(t0), k1 = first(t0 + span), n = 0;
    g.font = "600 12px system-ui,sans-serif"; g.textAlign = "center";
    for (var k = k0; k < k1; k++) {
      var x = (B.t[k] - t0) * w / span, c = B.c[k];
      var rej = B.rejected && B.rejected[k];
      var col = rej ? "#888" : colors[c];
      g.fillStyle = col; g.strokeStyle = col;
      if (big) {
        g.fillRect(x - 0.75, 15, 1.5, 6);
        g.fillText(rej ? "\u00d7" : names[c], x, 12);
      } else {
        g.fillRect(x - 0.5, h - 10, 1.5, 10);
      }
      n++;
    }
    return n;
  }
  function draw() {
    view.span = Math.min(Math.max(view.span, 1), Math.max(dur, 1));
    view.start = Math.min(Math.max(view.start, 0), Math.max(0, dur - view.span));
    var o = setup(ov);
    o.g.clearRect(0, 0, o.w, o.h);
    drawStretches(o.g, 0, dur, o.w, o.h);
    drawTrace(o.g, 0, dur, 0, 2, o.w, o.h - 14);
    drawBeats(o.g, 0, dur, o.w, o.h, false);
    o.g.fillStyle = "rgba(0,114,178,0.15)"; o.g.strokeStyle = "#0072B2";
    var vx = view.start / dur * o.w, vw = Math.max(2, view.span / dur * o.w);
    o.g.fillRect(vx, 0, vw, o.h); o.g.strokeRect(vx + 0.5, 0.5, vw - 1, o.h - 1);
    var e = setup(ecg), g = e.g;
    g.clearRect(0, 0, e.w, e.h);
    drawStretches(g, view.start, view.span, e.w, e.h);
    g.strokeStyle = "#f6e4e4"; g.lineWidth = 1;  // paper grid: 0.2 s when it fits
    var step = view.span <= 12 ? 0.2 : view.span <= 60 ? 1 : view.span <= 600 ? 10 : 60;
    for (var t = Math.ceil(view.start / step) * step; t < view.start + view.span; t += step) {
      var gx = Math.round((t - view.start) * e.w / view.span) + 0.5;
      g.beginPath(); g.moveTo(gx, 16); g.lineTo(gx, e.h - 16); g.stroke();
    }
    drawTrace(g, view.start, view.span, 0, 18, e.w, e.h - 36);
    var n = drawBeats(g, view.start, view.span, e.w, e.h, view.span <= 60);
    g.fillStyle = "#666"; g.font = "11px system-ui,sans-serif"; g.textAlign = "left";
    g.fillText(clock(view.start), 2, e.h - 3); g.textAlign = "right";
    g.fillText(clock(view.start + view.span), e.w - 2, e.h - 3);
    status.textContent = clock(view.start) + " \u2013 " + clock(view.start + view.span) +
      " of " + clock(dur) + ", " + n + " beat" + (n === 1 ? "" : "s") + " in view";
    root.setAttribute("data-rendered", "1");
  }
  function zoom(f, at) {
    var c = at === undefined ? view.start + view.span / 2 : at;
    var s = Math.min(Math.max(view.span * f, 1), Math.max(dur, 1));
    view.start = c - (c - view.start) * s / view.span; view.span = s; draw();
  }
  function pan(f) { view.start += f * view.span; draw(); }
  var act = {"zoom-in": function () { zoom(0.5); }, "zoom-out": function () { zoom(2); },
             "left": function () { pan(-0.8); }, "right": function () { pan(0.8); },
             "all": function () { view.start = 0; view.span = dur; draw(); }};
  Object.keys(act).forEach(function (id) {
    document.getElementById(id).addEventListener("click", act[id]);
  });
  ecg.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var r = ecg.getBoundingClientRect();
    zoom(ev.deltaY > 0 ? 1.25 : 0.8, view.start + (ev.clientX - r.left) / r.width * view.span);
  }, {passive: false});
  var drag = null;
  ecg.addEventListener("mousedown", function (ev) { drag = {x: ev.clientX, s: view.start}; });
  window.addEventListener("mouseup", function () { drag = null; });
  window.addEventListener("mousemove", function (ev) {
    if (!drag) return;
    view.start = drag.s - (ev.clientX - drag.x) / ecg.clientWidth * view.span; draw();
  });
  function jump(ev) {
    var r = ov.getBoundingClientRect();
    view.start = (ev.clientX - r.left) / r.width * dur - view.span / 2; draw();
  }
  ov.addEventListener("mousedown", function (ev) { jump(ev); ov.onmousemove = jump; });
  window.addEventListener("mouseup", function () { ov.onmousemove = null; });
  document.addEventListener("keydown", function (ev) {
    var k = {"ArrowLeft": act.left, "ArrowRight": act.right, "+": act["zoom-in"],
             "=": act["zoom-in"], "-": act["zoom-out"]}[ev.key];
    if (k) { ev.preventDefault(); k(); }
  });
  window.addEventListener("resize", draw);
  draw();
})();
"""
