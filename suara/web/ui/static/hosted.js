// Hosted survey: reveal a follow-up as soon as its show-if condition holds (the server does the same without JS).
(function () {
  "use strict";
  var form = document.querySelector("form[data-survey]");
  if (!form) return;

  function holds(c, values) {
    if (c.all) return c.all.every(function (x) { return holds(x, values); });
    if (c.any) return c.any.some(function (x) { return holds(x, values); });
    var v = values[c.question];
    if (c.op === "answered") return v !== undefined;
    if (c.op === "unanswered") return v === undefined;
    if (v === undefined) return false;
    var targets = Array.isArray(c.value) ? c.value : [c.value];
    var positive = c.op === "eq" || c.op === "in";
    var negative = c.op === "ne" || c.op === "not_in";
    if (v instanceof Set) {
      var hit = targets.some(function (t) { return v.has(t); });
      return positive ? hit : negative ? !hit : false;
    }
    if (positive) return targets.indexOf(v) >= 0;
    if (negative) return targets.indexOf(v) < 0;
    if (typeof v !== "number") return false;
    return { lt: v < c.value, lte: v <= c.value, gt: v > c.value, gte: v >= c.value }[c.op] || false;
  }

  function valueOf(fieldset) {
    var kind = fieldset.dataset.kind;
    var checked = Array.prototype.map.call(
      fieldset.querySelectorAll("input:checked:not([type=hidden])"), function (i) { return i.value; });
    if (kind === "scale") return checked.length ? Number(checked[0]) : undefined;
    if (kind === "single" || kind === "multiple") return checked.length ? new Set(checked) : undefined;
    var text = fieldset.querySelector("textarea");
    return text && text.value.trim() ? text.value.trim() : undefined;
  }

  function update() {
    var values = {};
    form.querySelectorAll("fieldset[data-question]").forEach(function (fs) {
      if (fs.dataset.showIf) {
        var show = holds(JSON.parse(fs.dataset.showIf), values);
        fs.hidden = !show;
        fs.disabled = !show;  // a hidden question's answer is not sent
      }
      if (!fs.disabled) {
        var v = valueOf(fs);
        if (v !== undefined) values[fs.dataset.question] = v;
      }
    });
  }

  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
