/*! suara survey widget: one dependency-free script that shows a survey on a customer's site.
 *
 * <script src="https://HOST/static/widget.js" async
 *   data-key="pk_..."            publishable key (reads its surveys, adds responses; nothing else)
 *   data-survey="rnps"           survey key
 *   data-workspace="acme"        optional: workspace slug, checked against the key
 *   data-url="/checkout/*"       optional: page path pattern (* matches anything)
 *   data-event="order_placed"    optional: show when the page calls suara("event", "order_placed")
 *   data-delay="20"              optional: show after this many seconds on the page
 *   data-exit-intent="true"      optional: show when the pointer leaves through the top of the window
 *   data-min-visits="2"          optional: only from this visit on (visits counted in localStorage)
 *   data-locale="id"></script>   optional: default is the browser's language
 *
 * Page API: suara("identify", customerId), suara("event", name), suara("show"), suara("flush").
 * Answers wait in a localStorage queue until the server has them: offline or failed posts are retried with backoff
 * (and at once when the browser is back online) under one response id, so a retry is never stored twice.
 * Each display has one id: its `shown` and `dismissed` events and its response carry it. A display ends once:
 * completed (the answers), closed (`dismissed`, and the answers so far marked partial) or left with the page
 * (the answers so far, marked partial, sent as the page hides), so it is stored as one response at most.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__suaraWidget) return;
  window.__suaraWidget = true;

  var d = script.dataset;
  var API = (d.api || new URL(script.src).origin).replace(/\/$/, "") + "/api/v1/widget";
  var SURVEY = d.survey;
  var LS = "suara:";
  var QUEUE = LS + "queue";
  var MAX_WAIT_MS = 5 * 60 * 1000;
  var WORDS = {
    en: ["Next", "Send", "Close", "Thank you for your answer.", "Please answer this question.", "required"],
    id: ["Lanjut", "Kirim", "Tutup", "Terima kasih atas jawaban Anda.", "Mohon jawab pertanyaan ini.", "wajib"],
    ms: ["Seterusnya", "Hantar", "Tutup", "Terima kasih atas jawapan anda.", "Sila jawab soalan ini.", "wajib"],
    ru: ["Далее", "Отправить", "Закрыть", "Спасибо за ответ.", "Пожалуйста, ответьте на вопрос.", "обязательно"]
  };

  function store(name, value) {
    try {
      if (value === undefined) return JSON.parse(localStorage.getItem(LS + name) || "null");
      localStorage.setItem(LS + name, JSON.stringify(value));
    } catch (e) { /* storage off (private mode): the widget still works, without memory */ }
    return value;
  }

  function randomId() {
    var a = new Uint8Array(12);
    crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var customer = store("anon") || store("anon", "anon_" + randomId());

  // -- the retry queue: one entry per response, removed only when the server answered 2xx or refused it (4xx) --
  var flushing = false;
  var timer = null;

  function queue(items) {
    if (items === undefined) return store("queue") || [];
    return store("queue", items);
  }

  function schedule() {
    var items = queue();
    if (!items.length) return;
    var soonest = Math.min.apply(null, items.map(function (i) { return i.next; }));
    clearTimeout(timer);
    timer = setTimeout(flush, Math.max(0, soonest - Date.now()));
  }

  function settle(id, change) {
    // Re-read the queue: another tab may have changed it while the request was out.
    queue(queue().map(function (i) { return i.id === id ? change(i) : i; }).filter(Boolean));
  }

  function post(item) {
    return fetch(API + (item.path || "/responses"), {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Suara-Key": item.key },
      body: JSON.stringify(item.body),
      keepalive: true  // outlives the page: what is sent as it hides still arrives
    });
  }

  function flush(force) {
    if (flushing) return;
    var now = Date.now();
    var due = queue().filter(function (i) { return force === true || i.next <= now; })[0];
    if (!due) return schedule();
    flushing = true;
    post(due).then(function (r) {
      if (r.ok || (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429)) {
        if (!r.ok) r.text().then(function (t) { console.warn("suara: answer refused", r.status, t); });
        return settle(due.id, function () { return null; });
      }
      throw new Error("status " + r.status);
    }).catch(function () {
      settle(due.id, function (i) {
        i.attempts += 1;
        var wait = Math.min(MAX_WAIT_MS, 1000 * Math.pow(2, i.attempts));
        i.next = Date.now() + wait * (0.5 + Math.random() / 2);
        return i;
      });
    }).then(function () {
      flushing = false;
      var left = queue();
      if (left.length && left.some(function (i) { return i.next <= Date.now(); })) flush();
      else schedule();
    });
  }

  function submit(id, path, body, now) {
    var items = queue();
    items.push({ id: id, path: path, key: d.key, body: body, attempts: 0, next: 0 });
    queue(items);  // kept before the first try: a closed tab or a failed post loses nothing
    if (!now) flush();
  }

  var onLeave = null;  // the open dialog's: keeps its answers so far before the queue goes out
  window.addEventListener("online", function () { flush(true); });
  window.addEventListener("pagehide", function () {
    if (onLeave) onLeave();
    // The page is going: send the whole queue now (the queued copies go again next visit; the server keeps one).
    queue().forEach(function (item) { post(item).catch(function () {}); });
  });

  // -- branching: which questions show for the answers so far (as the server decides) --
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
    if (Array.isArray(v)) {
      var hit = targets.some(function (t) { return v.indexOf(t) >= 0; });
      return positive ? hit : negative ? !hit : false;
    }
    if (positive) return targets.indexOf(v) >= 0;
    if (negative) return targets.indexOf(v) < 0;
    if (typeof v !== "number") return false;
    return { lt: v < c.value, lte: v <= c.value, gt: v > c.value, gte: v >= c.value }[c.op] || false;
  }

  function nextQuestion(questions, values, after) {
    var seen = {};
    for (var i = 0; i < questions.length; i++) {
      var q = questions[i];
      if (q.show_if && !holds(q.show_if, seen)) continue;
      if (i > after) return i;
      if (values[q.id] !== undefined) seen[q.id] = values[q.id];
    }
    return -1;
  }

  // -- the dialog --
  var CSS =
    ":host{all:initial}" +
    ".box{position:fixed;right:16px;bottom:16px;z-index:2147483000;width:min(380px,calc(100vw - 32px));" +
    "max-height:calc(100vh - 32px);overflow:auto;box-sizing:border-box;background:#fff;color:#1b1f24;" +
    "border:1px solid #8c959f;border-radius:8px;box-shadow:0 6px 24px rgba(0,0,0,.2);padding:16px;" +
    "font:15px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif}" +
    "@media (max-width:480px){.box{right:0;bottom:0;width:100vw;border-radius:8px 8px 0 0}}" +
    "h2{font-size:16px;margin:0 32px 12px 0}" +
    ".x{position:absolute;top:8px;right:8px;width:32px;height:32px;border:0;background:none;color:#1b1f24;" +
    "font-size:22px;line-height:1;cursor:pointer;border-radius:4px}" +
    ".pts{display:flex;flex-wrap:wrap;gap:4px;margin:0 0 4px;padding:0;border:0}" +
    ".pts label,.opts label{cursor:pointer}" +
    ".pts label{flex:1 0 26px;text-align:center}" +
    ".pts input,.opts input{position:absolute;opacity:0;width:1px;height:1px}" +
    ".pts span{display:block;padding:8px 0;border:1px solid #1f4e79;border-radius:4px;color:#1f4e79;font-weight:600}" +
    ".pts input:checked+span{background:#1f4e79;color:#fff}" +
    ".ends{display:flex;justify-content:space-between;font-size:12px;color:#4a5560;margin-bottom:8px}" +
    ".opts label{display:block;padding:8px 10px;margin:4px 0;border:1px solid #8c959f;border-radius:4px}" +
    ".opts input:checked+span{font-weight:700;color:#1f4e79}" +
    ".opts label:has(input:checked){border-color:#1f4e79;background:#eef4fa}" +
    "textarea{width:100%;box-sizing:border-box;min-height:80px;font:inherit;color:#1b1f24;" +
    "border:1px solid #57606a;border-radius:4px;padding:8px}" +
    ".go{margin-top:12px;padding:10px 18px;border:0;border-radius:4px;background:#1f4e79;color:#fff;" +
    "font:inherit;font-weight:600;cursor:pointer}" +
    ".err{color:#a40e26;font-size:13px;margin:6px 0 0}" +
    "input:focus-visible+span,textarea:focus-visible,button:focus-visible{outline:3px solid #0969da;" +
    "outline-offset:2px}";

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (text) e.textContent = text;
    return e;
  }

  function Dialog(data) {
    var s = data.survey;
    var words = WORDS[s.locale] || WORDS[s.locale.split("-")[0]] || WORDS.en;
    var questions = s.questions;
    var values = {};
    var current = -1;
    var display = randomId();
    var ended = false;
    var opener = document.activeElement;
    var host = el("div", { "data-suara-widget": SURVEY });
    var root = host.attachShadow({ mode: "open" });
    var style = el("style");
    style.textContent = CSS;
    var box = el("div", { class: "box", role: "dialog", "aria-modal": "true", "aria-labelledby": "sq-title", lang: s.locale });
    var close = el("button", { class: "x", type: "button", "aria-label": words[2] }, "\u00d7");
    var body = el("div");
    box.appendChild(close);
    box.appendChild(body);
    root.appendChild(style);
    root.appendChild(box);
    document.body.appendChild(host);

    function focusables() {
      return Array.prototype.filter.call(
        box.querySelectorAll("button,textarea,input"),
        function (e) { return !e.disabled && (e.type !== "radio" || e.checked || !box.querySelector("input[name='" + e.name + "']:checked")); }
      );
    }

    function track(name, now) {
      submit(display + ":" + name, "/displays", {
        display_id: display, event: name, survey_id: data.survey_id, survey_version: data.version,
        customer_id: store("customer") || customer, touchpoint: location.pathname.slice(0, 100),
        at: new Date().toISOString()
      }, now);
    }

    // Ends the display without completion: the answers so far (with the current question's) are kept as partial.
    function leave(dismissed, now) {
      if (ended) return;
      ended = true;
      var given = Object.assign({}, values);
      var v = current >= 0 ? readValue(questions[current]) : undefined;
      if (v !== undefined) given[questions[current].id] = v;
      if (send(given, true, now)) store("seen:" + SURVEY, Date.now());
      if (dismissed) track("dismissed", now);
    }

    function finish(remember) {
      leave(true);
      if (remember) store("seen:" + SURVEY, Date.now());
      host.remove();
      onLeave = null;
      if (opener && opener.focus) opener.focus();
    }

    function hide() {
      leave(false, true);
      finish(false);
    }

    function readValue(q) {
      if (q.points && q.points.length) {
        var c = box.querySelector("input:checked");
        return c ? Number(c.value) : undefined;
      }
      if (q.options && q.options.length) {
        var picked = Array.prototype.map.call(box.querySelectorAll("input:checked"), function (i) { return i.value; });
        return picked.length ? picked : undefined;
      }
      var t = box.querySelector("textarea").value.trim();
      return t ? t : undefined;
    }

    function show(i) {
      current = i;
      var q = questions[i];
      body.textContent = "";
      var title = el("h2", { id: "sq-title" }, q.text);
      body.appendChild(title);
      var labelled = { "aria-labelledby": "sq-title" };
      if (q.points && q.points.length) {
        var group = el("div", { class: "pts", role: "radiogroup", "aria-labelledby": "sq-title", "aria-required": q.required ? "true" : null });
        q.points.forEach(function (p) {
          var label = el("label");
          var input = el("input", { type: "radio", name: "sq", value: p.value, "aria-label": p.label ? p.value + " " + p.label : String(p.value) });
          label.appendChild(input);
          label.appendChild(el("span", { "aria-hidden": "true" }, String(p.value)));
          group.appendChild(label);
        });
        body.appendChild(group);
        var first = q.points[0], last = q.points[q.points.length - 1];
        if (first.label || last.label) {
          var ends = el("div", { class: "ends", "aria-hidden": "true" });
          ends.appendChild(el("span", {}, first.label || ""));
          ends.appendChild(el("span", {}, last.label || ""));
          body.appendChild(ends);
        }
      } else if (q.options && q.options.length) {
        var opts = el("div", { class: "opts", role: q.multiple ? "group" : "radiogroup", "aria-labelledby": "sq-title" });
        q.options.forEach(function (o) {
          var label = el("label");
          label.appendChild(el("input", { type: q.multiple ? "checkbox" : "radio", name: "sq", value: o.id }));
          label.appendChild(el("span", {}, o.label));
          opts.appendChild(label);
        });
        body.appendChild(opts);
      } else {
        body.appendChild(el("textarea", Object.assign({ maxlength: q.max_length }, labelled)));
      }
      var go = el("button", { class: "go", type: "button" });
      go.addEventListener("click", next);
      body.appendChild(go);
      // "Send" on the last question, "Next" when this answer opens a follow-up.
      var relabel = function () {
        var tentative = Object.assign({}, values);
        tentative[q.id] = readValue(q);
        go.textContent = nextQuestion(questions, tentative, i) < 0 ? words[1] : words[0];
      };
      body.addEventListener("change", relabel);
      relabel();
      var focusFirst = body.querySelector("input,textarea");
      if (focusFirst) focusFirst.focus();
    }

    function next() {
      var q = questions[current];
      var v = readValue(q);
      var old = body.querySelector(".err");
      if (old) old.remove();
      if (v === undefined && q.required) {
        var err = el("p", { class: "err", role: "alert", id: "sq-err" }, words[4]);
        body.insertBefore(err, body.querySelector(".go"));
        var field = body.querySelector("input,textarea");
        if (field) field.focus();
        return;
      }
      if (v === undefined) delete values[q.id]; else values[q.id] = v;
      var n = nextQuestion(questions, values, current);
      if (n >= 0) return show(n);
      ended = true;
      send(values);
      body.textContent = "";
      body.appendChild(el("h2", { id: "sq-title", role: "status" }, s.thanks || words[3]));
      store("seen:" + SURVEY, Date.now());
      close.focus();
      setTimeout(function () { if (host.isConnected) finish(true); }, 4000);
    }

    function send(values, partial, now) {
      var answers = [];
      questions.forEach(function (q, i) {
        var v = values[q.id];
        if (v === undefined || nextQuestion(questions, values, i - 1) !== i) return;  // hidden by branching
        if (Array.isArray(v)) v.forEach(function (c) { answers.push({ question_id: q.id, kind: q.answer_kind, choice: c }); });
        else if (typeof v === "number") answers.push({ question_id: q.id, kind: q.answer_kind, number: v });
        else answers.push({ question_id: q.id, kind: q.answer_kind, text: v });
      });
      if (!answers.length) return false;
      submit(display, "/responses", {
        response_id: display,
        survey_id: data.survey_id,
        survey_version: data.version,
        customer_id: store("customer") || customer,
        locale: s.locale,
        touchpoint: location.pathname.slice(0, 100),
        submitted_at: new Date().toISOString(),
        answers: answers,
        partial: partial || undefined
      }, now);
      return true;
    }

    close.addEventListener("click", function () { finish(true); });
    box.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); finish(true); return; }
      if (e.key === "Enter" && e.target.tagName === "INPUT") { e.preventDefault(); next(); return; }
      if (e.key !== "Tab") return;
      var f = focusables();
      var at = f.indexOf(root.activeElement);
      // Keep focus inside the dialog: Tab from the last control goes to the first, Shift+Tab the other way.
      if (e.shiftKey && at <= 0) { e.preventDefault(); f[f.length - 1].focus(); }
      else if (!e.shiftKey && at === f.length - 1) { e.preventDefault(); f[0].focus(); }
    });
    onLeave = hide;
    track("shown");
    var start = nextQuestion(questions, values, -1);
    if (start >= 0) show(start);
  }

  // -- targeting --
  var shown = false;

  function pathMatches(pattern) {
    if (!pattern) return true;
    var re = new RegExp("^" + pattern.split("*").map(function (p) { return p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"); }).join(".*") + "$");
    return re.test(location.pathname) || re.test(location.href);
  }

  function open() {
    if (shown || !SURVEY || !d.key) return;
    shown = true;
    var url = API + "/surveys/" + encodeURIComponent(SURVEY) + "?locale=" + encodeURIComponent(d.locale || navigator.language || "en");
    if (d.workspace) url += "&workspace=" + encodeURIComponent(d.workspace);
    fetch(url, { headers: { "X-Suara-Key": d.key } })
      .then(function (r) { if (!r.ok) throw new Error("status " + r.status); return r.json(); })
      .then(Dialog)
      .catch(function (e) { shown = false; console.warn("suara: survey unavailable", e); });
  }

  var visits = store("visits") || 0;
  try {
    if (!sessionStorage.getItem(LS + "visit")) {
      sessionStorage.setItem(LS + "visit", "1");
      visits = store("visits", visits + 1);
    }
  } catch (e) { /* no session storage: count nothing */ }

  var eligible = pathMatches(d.url) && visits >= Number(d.minVisits || 0) && !store("seen:" + SURVEY);

  function api(command, arg) {
    if (command === "identify" && arg) store("customer", String(arg));
    else if (command === "event" && eligible && d.event && arg === d.event) open();
    else if (command === "show") { shown = false; open(); }
    else if (command === "flush") flush(true);
  }

  var pending = (window.suara && window.suara.q) || [];
  window.suara = function () { api.apply(null, arguments); };
  pending.forEach(function (args) { api.apply(null, args); });

  if (eligible) {
    var triggered = false;
    if (d.delay) { triggered = true; setTimeout(open, Number(d.delay) * 1000); }
    if (d.exitIntent === "true") {
      triggered = true;
      document.addEventListener("mouseout", function (e) { if (!e.relatedTarget && e.clientY <= 0) open(); });
    }
    if (d.event) triggered = true;
    if (!triggered) open();
  }
  flush();
})();
