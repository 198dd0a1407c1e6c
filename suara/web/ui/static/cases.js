// suara cases and alerts pages: ticking SLA timers, bulk selection, and the alert series charts (uPlot).
(function () {
  "use strict";

  // The same words the server writes: "3h 05m left", "overdue 1d 2h".
  function slaText(seconds) {
    var s = Math.abs(Math.trunc(seconds));
    var d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    var span = d ? d + "d " + h + "h" : h + "h " + (m < 10 ? "0" : "") + m + "m";
    return seconds >= 0 ? span + " left" : "overdue " + span;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".sla-timer[data-due]").forEach(function (el) {
      var left = (Date.parse(el.dataset.due) - now) / 1000;
      el.textContent = slaText(left);
      el.classList.toggle("overdue", left < 0);
    });
  }

  function bulk() {
    var all = document.getElementById("select-all");
    var count = document.getElementById("selected-count");
    if (!all) return;
    var boxes = function () { return Array.prototype.slice.call(document.querySelectorAll(".case-check")); };
    function update() {
      var n = boxes().filter(function (b) { return b.checked; }).length;
      count.textContent = n + " selected";
      all.checked = n > 0 && n === boxes().length;
    }
    all.addEventListener("change", function () {
      boxes().forEach(function (b) { b.checked = all.checked; });
      update();
    });
    boxes().forEach(function (b) { b.addEventListener("change", update); });
  }

  function charts() {
    if (typeof uPlot === "undefined") return;
    document.querySelectorAll("[data-alert-chart]").forEach(function (el) {
      var src = document.querySelector('script[data-for="' + el.id + '"]');
      if (!src) return;
      var d = JSON.parse(src.textContent);
      var xs = d.x.map(function (iso) { return Date.parse(iso + "T00:00:00Z") / 1000; });
      var start = Date.parse(d.started_on + "T00:00:00Z") / 1000;
      var end = d.ended_on ? Date.parse(d.ended_on + "T00:00:00Z") / 1000 + 86400 : xs[xs.length - 1];
      // Shade the incident's days behind the series.
      var shade = {
        hooks: { drawClear: [function (u) {
          var ctx = u.ctx, x0 = u.valToPos(start, "x", true), x1 = u.valToPos(end, "x", true);
          ctx.save(); ctx.fillStyle = "rgba(180, 35, 24, 0.10)";
          ctx.fillRect(x0, u.bbox.top, Math.max(2, x1 - x0), u.bbox.height); ctx.restore();
        }] },
      };
      new uPlot({
        width: el.clientWidth || 600, height: 220, plugins: [shade], legend: { show: false },
        tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); },
        series: [{}, { label: d.label, stroke: "#3451b2", width: 2, spanGaps: true, points: { size: 4 } }],
        axes: [{ stroke: "#576071" }, { stroke: "#576071", label: d.label, size: 56 }],
      }, [xs, d.value], el);
      el.dataset.drawn = "true";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    bulk();
    charts();
  });
})();
