// reviewflow: the little script the pages need (no inline scripts: the CSP forbids them).
// Keyboard: a button or link with data-key="i" is clicked when that key is pressed, unless
// the focus is in a text field (so typing a note never casts a vote) or a modifier is held.
(function () {
  "use strict";
  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || typing(document.activeElement)) return;
    var key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    var target = document.querySelector('[data-key="' + key + '"]:not([disabled])');
    if (!target) return;
    ev.preventDefault();
    target.click();
  });
  document.addEventListener("focusin", function (ev) {
    if (ev.target.classList && ev.target.classList.contains("copy")) ev.target.select();
  });
  // After HTMX swaps in a new record, put the focus on it so screen readers announce it.
  document.addEventListener("htmx:afterSwap", function (ev) {
    var focus = ev.detail.target.querySelector("[data-focus]");
    if (focus) focus.focus({ preventScroll: false });
  });
})();
