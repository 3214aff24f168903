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
      // Back to a page whose text the browser kept: count what is there.
      update();
      window.addEventListener("pageshow", update);
    });

    // 显示密码: a ticked box shows what was typed (long codes are easy to mistype).
    document.querySelectorAll("input[data-show-password]").forEach(function (box) {
      var field = document.getElementById(box.getAttribute("data-show-password"));
      if (!field) return;
      var apply = function () { field.type = box.checked ? "text" : "password"; };
      box.addEventListener("change", apply);
      apply();
    });

    // 大字号 · 高对比 in place: a reload would lose what is typed in a form.
    // The choice is saved by the same endpoint the no-JS form uses, as a
    // cookie, without its redirect (X-Requested-With: fetch → 204).
    document.querySelectorAll("form[data-display-switch]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var field = form.querySelector("input[name=large_text]");
        var button = form.querySelector("button");
        var on = field.value === "1";
        document.documentElement.classList.toggle("large-text", on);
        button.textContent = on ? "恢复标准字号" : "大字号 · 高对比";
        button.setAttribute("aria-pressed", on ? "true" : "false");
        field.value = on ? "0" : "1";
        fetch(form.action + "?large_text=" + (on ? "1" : "0"), {
          credentials: "same-origin",
          headers: { "X-Requested-With": "fetch" }
        }).catch(function () { /* shown already; saved on the next switch */ });
      });
    });

  });
  // htmx swaps: move focus to a swapped-in error summary in the evaluation.
  // After an outerHTML swap the event's target is the element that was
  // replaced, so look the block up again by its id; focusing also scrolls
  // the message into view (a phone shows a small part of a long page).
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.target;
    if (target && target.id && !target.isConnected) target = document.getElementById(target.id);
    var errors = target && target.querySelector && target.querySelector("[role=alert]");
    if (errors) {
      errors.focus();
      if (errors.scrollIntoView) errors.scrollIntoView({ block: "center" });
    }
  });
})();
