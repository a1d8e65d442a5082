/**
 * /static/charts.js: draws the Metrics page's charts as SVG from /api/v1/metrics and redraws
 * them every sample interval. Hand-written, no library, served from here (no CDN).
 *
 * Axes end on round values: ticks step by 1, 2 or 5 × 10^n of the chart's unit (bytes in
 * B/KiB/MiB/GiB, counts as they are, percentages 0–100 by 20). The hit ratio is taken over a
 * window of samples (data-window), as hit-ratio.ts does for the Overview: an idle window keeps
 * the last ratio on the chart and says "no reads" rather than dropping to 0%.
 */
export const CHARTS_SCRIPT = `'use strict';
(function () {
  var NS = 'http://www.w3.org/2000/svg';
  var COLOURS = ['#1f5fa8', '#d9822b'];
  var W = 400, H = 160, LEFT = 58, BOTTOM = 18, TOP = 8, RIGHT = 6;
  var status = document.getElementById('charts-status');
  var interval = Number(status.getAttribute('data-interval')) || 5000;
  var WINDOW = Number(status.getAttribute('data-window')) || 12;

  function el(name, attrs, text) {
    var node = document.createElementNS(NS, name);
    for (var key in attrs) node.setAttribute(key, String(attrs[key]));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The smallest 1, 2 or 5 × 10^n at least as big as a rough step.
  function niceStep(rough) {
    if (!(rough > 0)) return 1;
    var power = Math.pow(10, Math.floor(Math.log10(rough)));
    var steps = [1, 2, 5, 10];
    for (var i = 0; i < steps.length; i++) if (steps[i] * power >= rough * (1 - 1e-9)) return steps[i] * power;
    return 10 * power;
  }

  function trim(value) {
    return String(Number(value.toPrecision(6)));
  }

  // Ticks of an axis: {top, ticks: [{value, label}]}.
  function axis(max, kind) {
    if (kind === 'percent') {
      return { top: 100, ticks: [0, 20, 40, 60, 80, 100].map(function (v) { return { value: v, label: v + '%' }; }) };
    }
    var unit = 1, suffix = '';
    if (kind === 'bytes') {
      var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      var k = 0;
      while (max / unit >= 1024 && k < units.length - 1) { unit *= 1024; k++; }
      suffix = ' ' + units[k];
    }
    var scaled = max / unit;
    var step = niceStep(scaled > 0 ? scaled / 4 : 0.25);
    if (kind === 'bytes' && unit === 1 && step < 1) step = 1;
    var count = Math.max(1, Math.ceil(scaled / step - 1e-9));
    var ticks = [];
    for (var i = 0; i <= count; i++) ticks.push({ value: i * step * unit, label: trim(i * step) + suffix });
    return { top: count * step * unit, ticks: ticks };
  }

  // Values between consecutive samples: [{t, values: [...]}]; a value may be null (no line there).
  function series(samples, pick) {
    var points = [];
    for (var i = 1; i < samples.length; i++) {
      var a = samples[i - 1], b = samples[i];
      var seconds = (b.timeMs - a.timeMs) / 1000;
      if (seconds > 0) points.push({ t: b.timeMs, values: pick(a, b, seconds, i) });
    }
    return points;
  }

  function rate(a, b, field, seconds) {
    return Math.max(0, b[field] - a[field]) / seconds;
  }

  function draw(svg, points, kind) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var max = 0;
    points.forEach(function (p) { p.values.forEach(function (v) { if (v !== null && v > max) max = v; }); });
    var scale = axis(max, kind);
    svg.setAttribute('data-max', String(max));
    var x0 = LEFT, x1 = W - RIGHT, y0 = H - BOTTOM, y1 = TOP;
    scale.ticks.forEach(function (tick, g) {
      var y = y0 - ((y0 - y1) * tick.value) / scale.top;
      svg.appendChild(el('line', { x1: x0, x2: x1, y1: y, y2: y, class: g === 0 ? 'axis' : 'grid' }));
      svg.appendChild(el('text', { x: x0 - 4, y: y + 3, 'text-anchor': 'end', class: 'tick', 'data-value': tick.value }, tick.label));
    });
    if (points.length === 0) {
      svg.appendChild(el('text', { x: (x0 + x1) / 2, y: H / 2, 'text-anchor': 'middle' }, 'waiting for samples'));
      return;
    }
    var tMin = points[0].t, tMax = points[points.length - 1].t;
    var span = Math.max(1, tMax - tMin);
    svg.appendChild(el('text', { x: x0, y: H - 4 }, '-' + Math.round(span / 1000) + 's'));
    svg.appendChild(el('text', { x: x1, y: H - 4, 'text-anchor': 'end' }, 'now'));
    var last = [];
    points[0].values.forEach(function (_, k) {
      var coords = [];
      points.forEach(function (p) {
        var v = p.values[k];
        if (v === null) return;
        var x = points.length === 1 ? x1 : x0 + ((x1 - x0) * (p.t - tMin)) / span;
        var y = y0 - ((y0 - y1) * v) / scale.top;
        coords.push(x.toFixed(1) + ',' + y.toFixed(1));
      });
      var final = points[points.length - 1].values[k];
      last.push(final === null ? '' : String(final));
      if (coords.length > 0) svg.appendChild(el('polyline', { points: coords.join(' '), stroke: COLOURS[k] || '#555' }));
    });
    svg.setAttribute('data-last', last.join(','));
  }

  // The hit ratio over the window ending at sample i (null when the window saw no lookup).
  function windowRatio(samples, i) {
    var a = samples[Math.max(0, i - WINDOW)], b = samples[i];
    var hits = Math.max(0, b.cacheHits - a.cacheHits);
    var lookups = hits + Math.max(0, b.cacheMisses - a.cacheMisses);
    return lookups > 0 ? (100 * hits) / lookups : null;
  }

  function hitRatio(samples) {
    var kept = null;
    return series(samples, function (a, b, seconds, i) {
      var value = windowRatio(samples, i);
      if (value !== null) kept = value;
      return [kept];
    });
  }

  function percent(value) {
    return (value >= 10 || value === 0 ? value.toFixed(0) : value.toFixed(1)) + '%';
  }

  function describeHitRatio(samples) {
    var node = document.getElementById('hit-ratio-now');
    if (!node || samples.length === 0) return;
    var i = samples.length - 1;
    var span = Math.round((samples[i].timeMs - samples[Math.max(0, i - WINDOW)].timeMs) / 1000);
    var value = windowRatio(samples, i);
    var total = samples[i].cacheHits + samples[i].cacheMisses;
    node.textContent = value !== null
      ? percent(value) + ' over the last ' + span + ' s'
      : 'no reads in the last ' + span + ' s' + (total > 0 ? ' (' + percent((100 * samples[i].cacheHits) / total) + ' since the workers started)' : '');
    node.setAttribute('data-state', value !== null ? 'reads' : 'idle');
  }

  var charts = {
    throughput: { kind: 'bytes', points: function (s) {
      return series(s, function (a, b, sec) { return [rate(a, b, 'cacheBytesRead', sec), rate(a, b, 'ufsBytesRead', sec)]; });
    } },
    writes: { kind: 'bytes', points: function (s) {
      return series(s, function (a, b, sec) { return [rate(a, b, 'bytesWritten', sec)]; });
    } },
    'hit-ratio': { kind: 'percent', points: hitRatio },
    'ufs-ops': { kind: 'count', points: function (s) {
      return series(s, function (a, b, sec) { return [rate(a, b, 'ufsOperations', sec)]; });
    } },
  };

  function refresh() {
    fetch('/api/v1/metrics', { headers: { accept: 'application/json' } })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(function (body) {
        var samples = body.samples || [];
        document.querySelectorAll('svg[data-chart]').forEach(function (svg) {
          var chart = charts[svg.getAttribute('data-chart')];
          draw(svg, chart.points(samples), chart.kind);
        });
        describeHitRatio(samples);
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
