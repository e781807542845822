// Small behaviours for the ledger. Loaded as a file so the strict CSP needs no inline script.
document.addEventListener("htmx:configRequest", function (event) {
  // send Django's CSRF token with every htmx request
  const token = document.querySelector("input[name=csrfmiddlewaretoken]");
  if (token) { event.detail.headers["X-CSRFToken"] = token.value; }
});
