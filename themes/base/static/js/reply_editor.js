// Reply editor: "插入到答复" puts the chosen 常用语 where the cursor is (or at
// the end if the editor was never focused), without a round trip. Without
// JavaScript the same button posts the form and the server appends the text.
// Delegated from the document so it keeps working after htmx swaps the page.
(function () {
  "use strict";

  // Remember that the user placed the cursor: before that, insert at the end.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("#reply-form textarea[name=body]")) {
      event.target.dataset.cursorPlaced = "1";
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-insert-canned]");
    if (!button || !button.form) return;
    var form = button.form;
    var select = form.querySelector("select[name=canned_id]");
    var area = form.querySelector("textarea[name=body]");
    var option = select && select.selectedOptions[0];
    if (!area || !option || !option.value) return; // the server says "请先选择"
    event.preventDefault();

    var value = area.value;
    var snippet = option.dataset.text;  // the editor holds text, never markup
    var placed = area.dataset.cursorPlaced === "1";
    var start = placed ? area.selectionStart : value.length;
    var end = placed ? area.selectionEnd : value.length;
    var before = value.slice(0, start);
    var after = value.slice(end);
    // Keep the canned text its own paragraph.
    if (before.trim() && !/\n\s*\n\s*$/.test(before)) {
      before = before.replace(/\s*$/, "") + "\n\n";
    }
    if (after.trim() && !/^\s*\n\s*\n/.test(after)) {
      snippet += "\n\n";
    }
    area.value = before + snippet + after;
    var caret = before.length + snippet.length;
    area.focus();
    area.setSelectionRange(caret, caret);
    area.dataset.cursorPlaced = "1";
    // Let the autosave know the text changed (htmx listens for this event).
    area.dispatchEvent(new Event("canned-inserted", { bubbles: true }));
    var status = document.getElementById("autosave-status");
    if (status) status.textContent = "已插入常用语「" + option.textContent + "」";
  });
})();
