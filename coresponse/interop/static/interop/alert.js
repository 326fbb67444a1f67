// The crisis alert panel: looks the person up without leaving the call's page.
(function () {
  "use strict";
  var form = document.querySelector("[data-alert-form]");
  if (!form) return;
  var result = document.getElementById("alert-result");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    result.textContent = "Looking up…";
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Requested-With": "fetch" },
    })
      .then(function (response) {
        return response.text();
      })
      .then(function (html) {
        result.innerHTML = html;
      })
      .catch(function () {
        result.textContent = "The lookup did not reach the server. Try again.";
      })
      .finally(function () {
        button.disabled = false;
      });
  });
})();
