// SmartReturn: the little JavaScript the pages use. Everything works without it.
// - htmx requests carry the session's CSRF token (forms carry it as a hidden field anyway);
// - "Copy" buttons copy the text of the element named by data-copy.
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.body.dataset.csrf;
  if (token) { event.detail.headers["X-CSRF-Token"] = token; }
});
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-copy]");
  if (!button) { return; }
  var source = document.getElementById(button.dataset.copy);
  if (!source || !navigator.clipboard) { return; }
  navigator.clipboard.writeText(source.value || source.textContent).then(function () {
    button.dataset.done = "1";
  });
});
