// reviewflow coding page (templates/coding.html): a selection inside one segment becomes
// character offsets within that segment's own text (code names shown after highlights are
// CSS content, not text, so they never count); choosing a code posts the offsets to the
// JSON API with the CSRF header, then the page reloads at the segment. No inline scripts
// (the CSP allows only 'self'). Without JavaScript each segment's own form codes all of it.
(function () {
  "use strict";
  var filter = document.getElementById("cd-filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      document.querySelectorAll(".cd-bank li[data-name]").forEach(function (li) {
        li.hidden = q !== "" && li.getAttribute("data-name").indexOf(q) < 0;
      });
    });
  }
  var form = document.getElementById("cd-apply");
  if (!form) return;
  document.documentElement.classList.add("cd-js");
  var preview = document.getElementById("cd-selection");
  var errorBox = document.getElementById("cd-error");
  var newCode = document.getElementById("cd-new");
  var picks = form.querySelectorAll(".cd-pick");
  var pending = null;

  function segmentOf(node) {
    var el = node && (node.nodeType === 1 ? node : node.parentElement);
    return el ? el.closest(".cd-seg-text") : null;
  }
  function offsetIn(seg, node, offset) {
    var range = document.createRange();
    range.selectNodeContents(seg);
    range.setEnd(node, offset);
    return range.toString().length;
  }
  function readSelection() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) return null;
    var range = sel.getRangeAt(0);
    var seg = segmentOf(range.startContainer);
    var text = seg ? seg.textContent : "";
    if (!seg) return segmentOf(range.endContainer) ? { error: "Select words within one segment." } : null;
    var start = offsetIn(seg, range.startContainer, range.startOffset);
    var end = seg.contains(range.endContainer) ? offsetIn(seg, range.endContainer, range.endOffset) : text.length;
    while (start < end && /\s/.test(text.charAt(start))) start++;
    while (end > start && /\s/.test(text.charAt(end - 1))) end--;
    if (start >= end) return null;
    return { segment: seg.getAttribute("data-segment"), start: start, end: end, text: text.slice(start, end) };
  }
  function show(message, isError) {
    errorBox.hidden = !isError;
    if (isError) errorBox.textContent = message;
  }
  function update() {
    var found = readSelection();
    if (!found) return; // a click elsewhere (into the new-code field) keeps the selection
    if (found.error) { show(found.error, true); return; }
    pending = found;
    show("", false);
    form.elements.segment_id.value = found.segment;
    form.elements.start.value = String(found.start);
    form.elements.end.value = String(found.end);
    var words = found.text.length > 90 ? found.text.slice(0, 87) + "…" : found.text;
    preview.textContent = "Selected: “" + words + "” (segment " + found.segment + ", characters " + found.start + "–" + found.end + "). Choose a code or type a new one.";
    preview.classList.add("cd-has-selection");
    picks.forEach(function (b) { b.disabled = false; });
    document.querySelectorAll(".cd-seg.cd-selected").forEach(function (li) { li.classList.remove("cd-selected"); });
    var li = document.getElementById("seg-" + found.segment);
    if (li) li.classList.add("cd-selected");
  }
  document.addEventListener("mouseup", function () { window.setTimeout(update, 0); });
  document.addEventListener("touchend", function () { window.setTimeout(update, 0); });
  document.addEventListener("keyup", function (ev) { if (ev.shiftKey) update(); });
  document.addEventListener("selectionchange", function () {
    if (segmentOf(document.getSelection() && document.getSelection().anchorNode)) update();
  });

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (!pending) { show("Select words in a segment first.", true); return; }
    var button = ev.submitter;
    var body = { segment_id: Number(pending.segment), start: pending.start, end: pending.end };
    if (button && button.name === "code_id") {
      body.code_id = Number(button.value);
    } else {
      var name = newCode.value.trim();
      if (!name) { show("Type the name of the new code.", true); newCode.focus(); return; }
      body.new_code = name;
    }
    picks.forEach(function (b) { b.disabled = true; });
    fetch(form.getAttribute("data-api"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": form.elements.csrf_token.value },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (result) {
      if (!result.ok) {
        var next = result.data.next && result.data.next.text ? " " + result.data.next.text : "";
        show((result.data.message || "That did not work.") + next, true);
        picks.forEach(function (b) { b.disabled = false; });
        return;
      }
      var done = result.data.created ? "created" : "applied";
      var keep = new URLSearchParams(window.location.search).get("coder");
      var query = "?done=" + done + (keep ? "&coder=" + encodeURIComponent(keep) : "");
      window.location.assign(form.getAttribute("data-page") + query + "#seg-" + pending.segment);
    }).catch(function () {
      show("The server could not be reached; nothing was saved. Try again.", true);
      picks.forEach(function (b) { b.disabled = false; });
    });
  });
})();
