// suara dashboard: draws the uPlot charts whose data the server inlines next to each `[data-chart]` element.
(function () {
  "use strict";

  var ACCENT = "#3451b2";
  var PALETTE = ["#4e79a7", "#e15759", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#9c755f", "#edc948"];
  var AXIS = { stroke: "#576071", grid: { stroke: "#edf0f4", width: 1 }, ticks: { stroke: "#dfe3ea", width: 1 } };
  var HEIGHT = 280;

  // Periods arrive as ISO dates (UTC); uPlot wants Unix seconds and draws them in UTC, not the viewer's zone.
  function toX(iso) { return Date.parse(iso + "T00:00:00Z") / 1000; }
  function tzDate(ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); }
  function fmt(v) { return v == null ? "—" : v.toFixed(1); }
  function periodLabel(ts, period) {
    var d = new Date(ts * 1e3);
    var text = tickLabel(ts, period) + (period === "month" ? "" : " " + d.getUTCFullYear());
    return period === "week" ? "Week of " + text : text;
  }
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function tickLabel(ts, period) {
    var d = new Date(ts * 1e3);
    var month = MONTHS[d.getUTCMonth()];
    return period === "month" ? month + " " + d.getUTCFullYear() : d.getUTCDate() + " " + month;
  }
  // Ticks sit on the periods themselves (every k-th when crowded), labelled "3 Aug" or "Aug 2026".
  function axes(label, period) {
    var x = Object.assign({}, AXIS, {
      splits: function (u) {
        var xs = u.data[0], step = Math.max(1, Math.ceil(xs.length / Math.max(2, u.bbox.width / devicePixelRatio / 64)));
        return xs.filter(function (_, i) { return (xs.length - 1 - i) % step === 0; });
      },
      values: function (u, splits) { return splits.map(function (ts) { return tickLabel(ts, period); }); },
    });
    return [x, Object.assign({ label: label, size: 52 }, AXIS)];
  }

  function trend(el, d) {
    var period = el.dataset.period;
    var readout = document.querySelector('[data-readout-for="' + el.id + '"]');
    function show(u) {
      if (!readout || !d.x.length) return;
      var i = u.cursor.idx == null ? d.x.length - 1 : u.cursor.idx;
      readout.innerHTML = "<strong>" + periodLabel(u.data[0][i], period) + "</strong> · " + name + " <strong>" + fmt(d.value[i]) +
        "</strong> (95% interval " + fmt(d.lo[i]) + " to " + fmt(d.hi[i]) + ") · n = <strong>" + d.n[i] + "</strong>";
    }
    var name = el.dataset.label || "NPS";
    var ax = axes(name, period);
    ax.push(Object.assign({}, AXIS, { scale: "n", side: 1, label: "answers", size: 52, grid: { show: false } }));
    return new uPlot({
      width: el.clientWidth, height: HEIGHT, tzDate: tzDate, legend: { show: false },
      cursor: { points: { size: 8 } },
      // The answer bars use the bottom third of the chart so they never hide the NPS line.
      scales: {
        y: { range: function (u, min, max) {
          var span = Math.max(max - min, Math.abs(max) * 0.1, 1e-9); return [min - span * 0.45, max + span * 0.1]; } },
        n: { range: function (u, min, max) { return [0, Math.max(1, max) * 3.5]; } },
      },
      series: [
        {},
        { label: "n", scale: "n", stroke: "#cfd5df", fill: "rgba(207,213,223,0.5)", points: { show: false },
          paths: uPlot.paths.bars({ size: [0.55, 36] }) },
        { label: "95% low", stroke: "rgba(52,81,178,0.25)", width: 1, points: { show: false } },
        { label: "95% high", stroke: "rgba(52,81,178,0.25)", width: 1, points: { show: false } },
        { label: name, stroke: ACCENT, width: 2.25, points: { size: 5, fill: ACCENT } },
      ],
      bands: [{ series: [3, 2], fill: "rgba(52,81,178,0.14)" }],
      axes: ax,
      hooks: { setCursor: [show], ready: [show] },
    }, [d.x.map(toX), d.n, d.lo, d.hi, d.value], el);
  }

  function lines(el, d) {
    var period = el.dataset.period;
    var series = [{ label: period === "month" ? "Month" : "Week",
                    value: function (u, ts) { return ts == null ? "—" : tickLabel(ts, period); } }];
    d.series.forEach(function (s, i) {
      var colour = PALETTE[i % PALETTE.length];
      series.push({ label: s.name, stroke: colour, width: 2, points: { size: 5, fill: colour },
                    value: function (u, v) { return fmt(v); } });
    });
    return new uPlot({
      width: el.clientWidth, height: HEIGHT, tzDate: tzDate, series: series, axes: axes("NPS", period),
      cursor: { points: { size: 8 } }, legend: { live: true }, padding: [12, 32, null, null],  // room for the last x label
    }, [d.x.map(toX)].concat(d.series.map(function (s) { return s.values; })), el);
  }

  var DRAW = { trend: trend, lines: lines };

  function init(root) {
    var els = Array.prototype.slice.call(root.querySelectorAll("[data-chart]"));
    if (root.matches && root.matches("[data-chart]")) els.push(root);
    els.forEach(function (el) {
      var source = document.getElementById(el.dataset.source);
      if (!source || !window.uPlot) return;
      if (el._chart) el._chart.destroy();
      el.innerHTML = "";  // a restored history snapshot keeps a dead canvas: start clean
      el._chart = DRAW[el.dataset.chart](el, JSON.parse(source.textContent));
    });
  }

  var pending = false;
  window.addEventListener("resize", function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      document.querySelectorAll("[data-chart]").forEach(function (el) {
        if (el._chart) el._chart.setSize({ width: el.clientWidth, height: HEIGHT });
      });
    });
  });

  if (window.htmx) {
    htmx.onLoad(init);
  } else {
    init(document);
  }
})();
