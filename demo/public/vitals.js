// The demo's own measure of what Emma costs a page (docs/benchmarks.md "First paint"), read
// by the browser test tests/e2e/layout-shift.test.mjs and by `npm run bench:page`:
//   window.demoVitals = { cls, clsMethod, clsNative, clsGeometry, firstSlotMs, done }
// A classic script in <head> (before anything is painted), so it sees every shift.
// - clsNative: the sum of the Layout Instability API's layout-shift entries (Chromium only;
//   Firefox and WebKit have no such entries);
// - clsGeometry: the same score computed here, in every engine: each animation frame, every
//   element that was there in the last frame and whose top-left corner moved (in the
//   document) adds its old and new box to the frame's impact region; the frame scores
//   (region's share of the viewport) x (largest move / the viewport's larger side), as the
//   Layout Instability spec does. Summed over the page's life, not windowed: an upper bound.
// - cls: the native figure where there is one, else the computed one;
// - firstSlotMs: when the embed filled the first slot (its `emma:first-slot` mark, set with
//   data-timing) minus DOMContentLoaded, in ms.
(function () {
  'use strict';
  var types = (typeof PerformanceObserver === 'function' && PerformanceObserver.supportedEntryTypes) || [];
  var native = types.indexOf('layout-shift') >= 0;
  var v = window.demoVitals = { cls: 0, clsMethod: native ? 'layout-shift' : 'geometry', clsNative: native ? 0 : null, clsGeometry: 0, firstSlotMs: null, done: false };
  if (native) {
    new PerformanceObserver(function (list) {
      list.getEntries().forEach(function (e) {
        if (!e.hadRecentInput) v.clsNative += e.value;
      });
      v.cls = v.clsNative;
    }).observe({ type: 'layout-shift', buffered: true });
  }

  var CELL = 8;  // the impact region is kept as a bitmap of 8 px cells
  var last = new Map();
  function frame() {
    var vw = document.documentElement.clientWidth;
    var vh = window.innerHeight;
    var now = new Map();
    var cols = Math.ceil(vw / CELL);
    var region = new Set();
    var moved = 0;
    function mark(r) {
      var x0 = Math.max(0, Math.floor(r.left / CELL));
      var x1 = Math.min(cols, Math.ceil(Math.min(r.right, vw) / CELL));
      var y0 = Math.max(0, Math.floor(r.top / CELL));
      var y1 = Math.ceil(Math.min(r.bottom, vh) / CELL);
      for (var y = y0; y < y1; y++) for (var x = x0; x < x1; x++) region.add(y * cols + x);
    }
    var els = document.body ? document.body.getElementsByTagName('*') : [];
    for (var i = 0; i < els.length; i++) {
      var r = els[i].getBoundingClientRect();
      if (!r.width && !r.height) continue;
      var cur = { x: r.left + scrollX, y: r.top + scrollY, r: r };
      now.set(els[i], cur);
      var was = last.get(els[i]);
      if (!was) continue;
      var d = Math.max(Math.abs(cur.x - was.x), Math.abs(cur.y - was.y));
      if (d < 1) continue;
      moved = Math.max(moved, d);
      mark(was.r);
      mark(r);
    }
    if (moved) v.clsGeometry += (region.size * CELL * CELL) / (vw * vh) * (moved / Math.max(vw, vh));
    if (!native) v.cls = v.clsGeometry;
    last = now;
  }

  var ended = false;
  function loop() {
    if (ended) return;
    frame();
    requestAnimationFrame(loop);
  }
  requestAnimationFrame(loop);

  function firstSlot() {
    var m = performance.getEntriesByName('emma:first-slot')[0];
    var nav = performance.getEntriesByType && performance.getEntriesByType('navigation')[0];
    var dcl = nav ? nav.domContentLoadedEventStart : performance.timing.domContentLoadedEventStart - performance.timing.navigationStart;
    return m ? Math.round((m.startTime - dcl) * 10) / 10 : null;
  }

  // Measured until a second after Emma is ready (or gave up), then left alone.
  function end() {
    setTimeout(function () {
      ended = true;
      v.firstSlotMs = firstSlot();
      v.done = true;
    }, 1000);
  }
  document.addEventListener('emma:ready', end, { once: true });
  document.addEventListener('emma:unavailable', function (e) {
    v.unavailable = e.detail;  // { code, message }: why Emma could not run
    end();
  }, { once: true });
})();
