// Small enhancements on top of htmx; every page works without this file.
(function () {
  "use strict";

  function toast(message) {
    var box = document.getElementById("toast");
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
    clearTimeout(box._timer);
    box._timer = setTimeout(function () { box.hidden = true; }, 5000);
  }

  // An htmx request that failed (no swap) tells the user instead of doing nothing.
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var text = (xhr && xhr.responseText) || "";
    var holder = document.createElement("div");
    holder.innerHTML = text;
    toast((holder.textContent || "").trim().slice(0, 200) || "请求失败，请稍后重试。");
  });
  document.addEventListener("htmx:sendError", function () {
    toast("网络连接失败，请检查网络后重试。");
  });

  // Copy buttons: <button data-copy="#target-id">复制</button>. Values (ids, secrets, URLs) are
  // copied without any whitespace (a pasted space is a classic "unauthorised"); data-copy-raw
  // keeps it (code examples).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var target = document.querySelector(button.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) return;
    var text = button.hasAttribute("data-copy-raw") ? target.textContent.trim()
      : target.textContent.replace(/\s+/g, "");
    navigator.clipboard.writeText(text).then(function () {
      toast("已复制");
    });
  });

  // Text that promises what only htmx does (e.g. ticks saved as you go) is shipped hidden and
  // shown here, when htmx is really there; the text for pages without it is hidden instead.
  function revealEnhancedText(root) {
    if (!window.htmx) return;
    root.querySelectorAll("[data-js-only][hidden]").forEach(function (el) { el.hidden = false; });
    root.querySelectorAll("[data-without-js]").forEach(function (el) { el.hidden = true; });
  }

  // A box that scrolls sideways (a wide table on a phone) must be reachable by keyboard: it
  // becomes a named, focusable region while it overflows, and an ordinary box again when not.
  var SCROLLERS = ".table-wrap";
  function markScrollable() {
    document.querySelectorAll(SCROLLERS).forEach(function (box) {
      var overflows = box.scrollWidth > box.clientWidth + 1;
      if (overflows && !box.hasAttribute("tabindex")) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", "表格（可左右滚动查看）");
      } else if (!overflows && box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }

  function enhance(root) {
    revealEnhancedText(root);
    markScrollable();
  }
  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  window.addEventListener("resize", markScrollable);
  document.addEventListener("htmx:afterSettle", function () { enhance(document); });

  // Focus after a swap: htmx puts it back on the control with the same id, or on the swapped-in
  // content's [autofocus] (the first invalid field, the next field after a pick). When the
  // control that had it is gone (a pager link on the last page, 显示 replaced by the value),
  // the focus goes to the swapped region instead of falling back to <body>.
  var focusWasIn = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    focusWasIn = target && target.contains(document.activeElement) ? target.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    var id = focusWasIn;
    focusWasIn = null;
    var active = document.activeElement;
    if (!id || (active && active !== document.body)) return;
    var region = document.getElementById(id);
    if (!region) return;
    if (!region.hasAttribute("tabindex")) region.setAttribute("tabindex", "-1");
    region.focus({ preventScroll: true });
  });

  // Confirm before dangerous submits: <button data-confirm="确定？"> (hx-confirm for htmx buttons)
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) ||
      event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      // Capturing at the document, stopping here keeps htmx's listener on the form from firing.
      event.stopPropagation();
    }
  }, true);
})();
