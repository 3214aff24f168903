// Buttons marked data-print print the page (receipts, registration slips).
// A file, not an onclick attribute: the pages' CSP allows no inline script.
document.addEventListener("click", function (event) {
  if (event.target.closest && event.target.closest("[data-print]")) window.print();
});
