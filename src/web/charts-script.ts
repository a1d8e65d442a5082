/**
 * /static/charts.js: draws the Metrics page's charts as SVG from /api/v1/metrics and redraws
 * them every sample interval. Hand-written, no library, served from here (no CDN).
 */
export const CHARTS_SCRIPT = String.raw`'use strict';
(function () {
  var NS = 'http://www.w3.org/2000/svg';
  var COLOURS = ['#1f5fa8', '#d9822b'];
  var W = 400, H = 160, LEFT = 44, BOTTOM = 18, TOP = 8, RIGHT = 6;
  var status = document.getElementById('charts-status');
  var interval = Number(status.getAttribute('data-interval')) || 5000;

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    for (var key in attrs) node.setAttribute(key, String(attrs[key]));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function short(value) {
    var units = ['', 'K', 'M', 'G', 'T'];
    var i = 0;
    while (Math.abs(value) >= 1000 && i < units.length - 1) { value /= 1000; i++; }
    return (value >= 10 || value === 0 ? value.toFixed(0) : value.toFixed(1)) + units[i];
  }

  // Rates between consecutive samples: [{t, values: [...]}]
  function series(samples, pick) {
    var points = [];
    for (var i = 1; i < samples.length; i++) {
      var a = samples[i - 1], b = samples[i];
      var seconds = (b.timeMs - a.timeMs) / 1000;
      if (seconds > 0) points.push({ t: b.timeMs, values: pick(a, b, seconds) });
    }
    return points;
  }

  function draw(svg, points, fixedMax) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var max = fixedMax || 0;
    points.forEach(function (p) { p.values.forEach(function (v) { if (v > max) max = v; }); });
    if (max <= 0) max = 1;
    var x0 = LEFT, x1 = W - RIGHT, y0 = H - BOTTOM, y1 = TOP;
    for (var g = 0; g <= 4; g++) {
      var y = y0 - ((y0 - y1) * g) / 4;
      svg.appendChild(el('line', { x1: x0, x2: x1, y1: y, y2: y, class: g === 0 ? 'axis' : 'grid' }));
      svg.appendChild(el('text', { x: x0 - 4, y: y + 3, 'text-anchor': 'end' }, short((max * g) / 4)));
    }
    if (points.length === 0) {
      svg.appendChild(el('text', { x: (x0 + x1) / 2, y: H / 2, 'text-anchor': 'middle' }, 'waiting for samples'));
      return;
    }
    var tMin = points[0].t, tMax = points[points.length - 1].t;
    var span = Math.max(1, tMax - tMin);
    var seconds = Math.round(span / 1000);
    svg.appendChild(el('text', { x: x0, y: H - 4 }, '-' + seconds + 's'));
    svg.appendChild(el('text', { x: x1, y: H - 4, 'text-anchor': 'end' }, 'now'));
    points[0].values.forEach(function (_, k) {
      var coords = points.map(function (p) {
        var x = points.length === 1 ? x1 : x0 + ((x1 - x0) * (p.t - tMin)) / span;
        var yv = y0 - ((y0 - y1) * p.values[k]) / max;
        return x.toFixed(1) + ',' + yv.toFixed(1);
      });
      svg.appendChild(el('polyline', { points: coords.join(' '), stroke: COLOURS[k] || '#555' }));
    });
  }

  var charts = {
    throughput: function (s) {
      return series(s, function (a, b, sec) {
        return [(b.cacheBytesRead - a.cacheBytesRead) / sec, (b.ufsBytesRead - a.ufsBytesRead) / sec];
      });
    },
    'hit-ratio': function (s) {
      return series(s, function (a, b) {
        var hits = b.cacheHits - a.cacheHits, lookups = hits + b.cacheMisses - a.cacheMisses;
        return [lookups > 0 ? (100 * hits) / lookups : 0];
      });
    },
    'ufs-ops': function (s) {
      return series(s, function (a, b, sec) { return [(b.ufsOperations - a.ufsOperations) / sec]; });
    },
  };

  function refresh() {
    fetch('/api/v1/metrics', { headers: { accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (body) {
        var samples = body.samples || [];
        document.querySelectorAll('svg[data-chart]').forEach(function (svg) {
          var id = svg.getAttribute('data-chart');
          draw(svg, charts[id](samples), id === 'hit-ratio' ? 100 : 0);
        });
        var last = samples[samples.length - 1];
        status.textContent = samples.length + ' samples' +
          (last ? ', last at ' + new Date(last.timeMs).toLocaleTimeString() + ' from ' + last.workers + ' live worker(s)' : '');
        status.setAttribute('data-samples', String(samples.length));
      })
      .catch(function (error) { status.textContent = 'Cannot load samples: ' + error.message; });
  }

  refresh();
  setInterval(refresh, Math.max(1000, interval));
})();
`;
