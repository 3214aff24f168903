// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    // Move focus to the error summary so screen readers announce it.
    var summary = document.getElementById("error-summary");
    if (summary) summary.focus();
    document.documentElement.classList.add("js");

    // One letter per click: disable the submit button once the form is sent.
    document.querySelectorAll("form[data-disable-on-submit]").forEach(function (form) {
      form.addEventListener("submit", function () {
        var buttons = form.querySelectorAll("button[type=submit]");
        setTimeout(function () {
          buttons.forEach(function (b) { b.disabled = true; b.setAttribute("aria-busy", "true"); });
        }, 0);
        // Re-enable if the page stays (validation by the browser, network error).
        setTimeout(function () {
          buttons.forEach(function (b) { b.disabled = false; b.removeAttribute("aria-busy"); });
        }, 15000);
      });
    });

    // Character counter for the letter body.
    document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
      var out = document.getElementById(area.getAttribute("data-counter"));
      if (!out) return;
      // No maxlength on the field: a browser cuts a long paste silently and
      // the citizen loses the end of the letter. Say how much is over instead.
      var max = parseInt(area.getAttribute("data-max") || "0", 10);
      var update = function () {
        var count = area.value.trim().length;
        var over = max && count > max;
        out.textContent = "已输入 " + count + " 字" + (over ? "，超出 " + (count - max) + " 字，请删减" : "");
        out.classList.toggle("over-limit", !!over);
      };
      area.addEventListener("input", update);
    });

  });
  // htmx swaps: move focus to a swapped-in error summary in the evaluation.
  document.addEventListener("htmx:afterSwap", function (event) {
    var errors = event.target && event.target.querySelector && event.target.querySelector("[role=alert]");
    if (errors) { errors.focus(); }
  });
})();
