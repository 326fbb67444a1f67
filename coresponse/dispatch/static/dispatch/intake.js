/* The call-taker's form, fast with a keyboard. Without JavaScript it still works: Enter saves
   from a text field and the caller's history shows after saving. */
(function () {
  "use strict";
  var form = document.getElementById("call-form");
  if (!form) return;

  var submitting = false;
  form.addEventListener("submit", function (event) {
    if (submitting) {
      event.preventDefault(); // a second Enter while the first save is on its way
      return;
    }
    submitting = true;
    form.setAttribute("aria-busy", "true");
  });

  window.addEventListener("pageshow", function () {
    submitting = false; // back from the call page: the form may be used again
    form.removeAttribute("aria-busy");
  });

  function save() {
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault(); // Ctrl+Enter: from the narrative (or anywhere) saves
      save();
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.altKey) {
      // Browsers submit on Enter from text fields only; a call-taker expects it everywhere.
      if (target.type === "radio" || target.tagName === "SELECT") {
        event.preventDefault();
        save();
      }
      return;
    }
    if (target.name === "priority" && /^[1-5]$/.test(event.key)) {
      if (event.ctrlKey || event.altKey || event.metaKey) return;
      var option = form.querySelector('input[name="priority"][value="' + event.key + '"]');
      if (option) {
        event.preventDefault();
        option.checked = true;
        option.focus();
        option.dispatchEvent(new Event("input", { bubbles: true }));
      }
    }
  });

  // A field being corrected is no longer shown as wrong.
  form.addEventListener("input", function (event) {
    var field = event.target.closest(".field");
    if (!field) return;
    var invalid = Array.prototype.slice.call(field.querySelectorAll('[aria-invalid="true"]'));
    if (field.getAttribute("aria-invalid") === "true") invalid.push(field);
    invalid.forEach(function (el) {
      el.removeAttribute("aria-invalid");
    });
    field.querySelectorAll(".field-error").forEach(function (el) {
      el.hidden = true;
    });
  });

  // The caller's calls in the window, looked up while the call-taker goes on typing.
  var phone = form.querySelector('input[name="caller_phone"]');
  var out = document.getElementById("caller-history");
  var url = form.getAttribute("data-history-url");
  if (!phone || !out || !url) return;
  var timer = null;
  var controller = null;
  var last = phone.value.trim();

  function lookUp() {
    var value = phone.value.trim();
    if (value === last) return;
    last = value;
    if (controller) controller.abort();
    if (value.replace(/\D/g, "").length < 3) {
      out.innerHTML = "";
      return;
    }
    controller = window.AbortController ? new AbortController() : null;
    fetch(url + "?caller_phone=" + encodeURIComponent(value), {
      credentials: "same-origin",
      headers: { Accept: "text/html" },
      signal: controller ? controller.signal : undefined,
    })
      .then(function (response) {
        return response.ok ? response.text() : "";
      })
      .then(function (html) {
        out.innerHTML = html;
      })
      .catch(function () {}); // aborted or offline: the flag is set on save all the same
  }

  phone.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(lookUp, 350);
  });
  phone.addEventListener("change", lookUp);
})();
