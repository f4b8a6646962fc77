// Parity's example browser: filters, a paged table and a side-by-side view of a baseline
// and its candidate. Every text goes in through textContent: example text is untrusted.
(function () {
  "use strict";
  var PAGE = 50, SHORT = 600;
  var data = JSON.parse(document.getElementById("parity-data").textContent);
  var texts = data.texts, rows = data.rows, exps = data.experiments;
  var byKey = {};
  rows.forEach(function (row, i) { byKey[row.e + "\u0000" + row.k] = i; });
  var candidates = exps.map(function () { return []; });
  exps.forEach(function (exp, i) { if (exp.baseline !== null) candidates[exp.baseline].push(i); });
  var $ = function (id) { return document.getElementById(id); };
  var state = { matches: [], page: 0, selected: null };

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }
  function option(select, value, label) {
    var node = el("option", label); node.value = value; select.appendChild(node);
  }
  function metricNames() {
    var e = $("f-exp").value, names = [];
    exps.forEach(function (exp, i) {
      if (e === "" || Number(e) === i) exp.metrics.forEach(function (m) { if (names.indexOf(m) < 0) names.push(m); });
    });
    return names;
  }
  function fillMetrics() {
    var select = $("f-metric"), keep = select.value;
    select.textContent = "";
    metricNames().forEach(function (m) { option(select, m, m); });
    if (metricNames().indexOf(keep) >= 0) select.value = keep;
  }
  // The chosen metric's score, else the row's experiment's first (another task's metric).
  function metricOf(row) {
    var chosen = $("f-metric").value;
    return chosen in row.s ? chosen : exps[row.e].metrics.filter(function (m) { return m in row.s; })[0];
  }
  function score(row) {
    var v = row.s[metricOf(row)];
    return typeof v === "number" ? v : null;
  }
  // A candidate's row against its baseline's for the same example: "worse", "better",
  // "equal", or "" (no baseline, no baseline row, or a score missing on either side).
  function versus(row) {
    var base = exps[row.e].baseline;
    if (base === null) return "";
    var other = rows[byKey[base + "\u0000" + row.k]], metric = metricOf(row);
    if (!other || typeof row.s[metric] !== "number" || typeof other.s[metric] !== "number") return "";
    var d = row.s[metric] - other.s[metric];
    return d < 0 ? "worse" : d > 0 ? "better" : "equal";
  }
  function isInvalid(row) { return texts[row.p] === "<invalid>"; }
  function filter() {
    var e = $("f-exp").value, lo = parseFloat($("f-min").value), hi = parseFloat($("f-max").value);
    var invalid = $("f-invalid").checked, error = $("f-error").checked;
    var needle = $("f-text").value.toLowerCase(), flip = $("f-flip").value, klass = $("f-class").value;
    var out = [];
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      if (e !== "" && row.e !== Number(e)) continue;
      var s = score(row);
      if (!isNaN(lo) && (s === null || s < lo)) continue;
      if (!isNaN(hi) && (s === null || s > hi)) continue;
      if (invalid && !isInvalid(row)) continue;
      if (error && row.x === undefined) continue;
      if (flip !== "" && versus(row) !== flip) continue;
      if (klass !== "" && row.y !== klass) continue;
      if (needle && row.k.toLowerCase().indexOf(needle) < 0 && texts[row.q].toLowerCase().indexOf(needle) < 0
          && texts[row.p].toLowerCase().indexOf(needle) < 0) continue;
      out.push(i);
    }
    var order = $("f-sort").value;
    if (order !== "index") {
      var sign = order === "asc" ? 1 : -1;
      out.sort(function (a, b) {
        var x = score(rows[a]), y = score(rows[b]);
        if (x === null) return 1; if (y === null) return -1;
        return sign * (x - y) || a - b;
      });
    }
    state.matches = out; state.page = 0; render();
  }
  function cell(tr, text, cls) { var td = el("td", text, cls); td.title = String(text); tr.appendChild(td); }
  function render() {
    var body = $("rows").tBodies[0], pages = Math.max(1, Math.ceil(state.matches.length / PAGE));
    body.textContent = "";
    var start = state.page * PAGE, shown = state.matches.slice(start, start + PAGE);
    shown.forEach(function (i) {
      var row = rows[i], tr = el("tr"), s = score(row);
      tr.dataset.row = i;
      if (i === state.selected) tr.className = "selected";
      cell(tr, exps[row.e].id); cell(tr, row.k);
      var own = metricOf(row) === $("f-metric").value ? "" : " " + (metricOf(row) || "");
      cell(tr, s === null ? "n/a" : s.toFixed(3) + own);
      cell(tr, texts[row.p], "text");
      cell(tr, row.g.map(function (g) { return texts[g]; }).join(" | "), "text");
      cell(tr, row.l === null || row.l === undefined ? "" : Math.round(row.l));
      cell(tr, row.ti === undefined ? "" : row.ti);
      cell(tr, [isInvalid(row) ? "invalid" : "", row.y || "", row.x !== undefined ? texts[row.x] : ""]
        .filter(Boolean).join(" · "));
      tr.addEventListener("click", function () { select(i); });
      body.appendChild(tr);
    });
    $("count").textContent = state.matches.length + " of " + rows.length + " examples";
    $("page").textContent = "page " + (state.page + 1) + " of " + pages;
    $("prev").disabled = state.page === 0; $("next").disabled = state.page + 1 >= pages;
    document.body.dataset.browserRows = String(shown.length);
  }
  function textField(parent, label, text) {
    var box = el("div", null, "field"), pre = el("pre");
    box.appendChild(el("b", label));
    text = text === undefined || text === null ? "" : String(text);
    pre.textContent = text.length > SHORT ? text.slice(0, SHORT) + " …" : text;
    box.appendChild(pre);
    if (text.length > SHORT) {
      var more = el("button", "show all " + text.length.toLocaleString() + " characters", "more");
      more.addEventListener("click", function () { pre.textContent = text; more.remove(); });
      box.appendChild(more);
    }
    parent.appendChild(box);
  }
  function promptText(row) {
    return row.m.map(function (parts) {
      var body = parts.slice(1).map(function (p) { return p === data.context ? texts[row.c] : texts[p]; }).join("");
      return "[" + parts[0] + "]\n" + body;
    }).join("\n\n");
  }
  function side(index, role, other) {
    var box = el("div", null, "side");
    if (index === undefined) {
      box.appendChild(el("h4", role + ": " + exps[other].id));
      box.appendChild(el("p", "this example has no row here (not run, failed or skipped)", "note"));
      return box;
    }
    var row = rows[index];
    box.appendChild(el("h4", role + ": " + exps[row.e].id));
    if (row.x !== undefined) textField(box, "error", texts[row.x]);
    if (!("l" in row)) return box;  // an example this side lost: only why is known
    if (row.y) textField(box, "error class", row.y);
    var scores = Object.keys(row.s).map(function (k) { return k + " " + row.s[k].toFixed(3); }).join(", ");
    textField(box, "scores", scores || "none");
    textField(box, "prediction", texts[row.p]);
    textField(box, "gold", row.g.map(function (g) { return texts[g]; }).join("\n"));
    textField(box, "question", texts[row.q]);
    var compressed = row.cr !== undefined;
    textField(box, compressed ? "context (compressed, ratio " + row.cr.toFixed(3) + ")" : "context (original)", texts[row.c]);
    textField(box, "prompt", promptText(row));
    textField(box, "raw output", row.r.map(function (r) { return texts[r]; }).join("\n---\n"));
    textField(box, "latency ms / tokens in, out / cost USD",
      [row.l, row.ti + ", " + row.to, row.$ === null || row.$ === undefined ? "n/a" : row.$].join(" / "));
    return box;
  }
  function select(i) {
    state.selected = i;
    var row = rows[i], exp = exps[row.e], pane = $("detail");
    pane.textContent = "";
    var base = exp.baseline, cand = row.e, picks = candidates[row.e];
    if (base === null && picks.length) {
      var pick = $("f-cand"), keep = Number(pick.value);
      pick.textContent = "";
      picks.forEach(function (c) { option(pick, String(c), exps[c].id); });
      cand = picks.indexOf(keep) >= 0 ? keep : picks[0];
      pick.value = String(cand); base = row.e;
    }
    $("cand-pick").hidden = !(exp.baseline === null && picks.length > 1);
    if (base === null) {
      pane.appendChild(side(i, "example"));
    } else {
      pane.appendChild(side(byKey[base + "\u0000" + row.k], "baseline", base));
      pane.appendChild(side(byKey[cand + "\u0000" + row.k], "candidate", cand));
    }
    pane.dataset.example = row.k;
    render();
    pane.scrollIntoView({ block: "nearest" });
  }
  function init() {
    var exp = $("f-exp");
    option(exp, "", "all experiments");
    exps.forEach(function (e, i) { option(exp, String(i), e.id + (e.baseline !== null ? " (vs " + exps[e.baseline].id + ")" : "")); });
    var classes = $("f-class"), seen = {};
    option(classes, "", "any");
    rows.forEach(function (row) { if (row.y && !seen[row.y]) { seen[row.y] = 1; option(classes, row.y, row.y); } });
    fillMetrics();
    exp.addEventListener("change", function () { fillMetrics(); filter(); });
    ["f-metric", "f-min", "f-max", "f-invalid", "f-error", "f-sort", "f-flip", "f-class"].forEach(function (id) { $(id).addEventListener("change", filter); });
    $("f-text").addEventListener("input", filter);
    $("f-cand").addEventListener("change", function () { if (state.selected !== null) select(state.selected); });
    $("prev").addEventListener("click", function () { state.page--; render(); });
    $("next").addEventListener("click", function () { state.page++; render(); });
    filter();
    document.body.dataset.browserReady = "1";
  }
  init();
})();
