/* Passkeys (WebAuthn) on the account and sign-in pages: asks the server for options, lets the
   browser's navigator.credentials create or use a passkey, sends the answer back. The server
   side is coresponse/agencies/passkeys.py. Buttons: [data-passkey="register"|"verify"], with
   data-options-url and data-url; messages go to the element named by data-status. */
(function () {
  "use strict";

  function toBytes(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var text = window.atob(base64);
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var text = "";
    for (var i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]);
    return window.btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (d) {
      return { type: d.type, id: toBytes(d.id), transports: d.transports };
    });
  }

  function creationOptions(o) {
    o.challenge = toBytes(o.challenge);
    o.user.id = toBytes(o.user.id);
    o.excludeCredentials = descriptors(o.excludeCredentials);
    return o;
  }

  function requestOptions(o) {
    o.challenge = toBytes(o.challenge);
    o.allowCredentials = descriptors(o.allowCredentials);
    return o;
  }

  function registrationJSON(c) {
    var r = c.response;
    return {
      id: c.id,
      rawId: toText(c.rawId),
      type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults(),
      response: {
        clientDataJSON: toText(r.clientDataJSON),
        attestationObject: toText(r.attestationObject),
        transports: r.getTransports ? r.getTransports() : [],
      },
    };
  }

  function assertionJSON(c) {
    var r = c.response;
    return {
      id: c.id,
      rawId: toText(c.rawId),
      type: c.type,
      authenticatorAttachment: c.authenticatorAttachment || undefined,
      clientExtensionResults: c.getClientExtensionResults(),
      response: {
        clientDataJSON: toText(r.clientDataJSON),
        authenticatorData: toText(r.authenticatorData),
        signature: toText(r.signature),
        userHandle: r.userHandle ? toText(r.userHandle) : undefined,
      },
    };
  }

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function post(url, body) {
    return window
      .fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrf(),
        },
        body: body === undefined ? "{}" : JSON.stringify(body),
      })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) throw new Error(data.error || data.detail || "The server refused.");
          return data;
        });
      });
  }

  function say(button, text, isError) {
    var status = document.getElementById(button.getAttribute("data-status"));
    if (!status) return;
    status.textContent = text;
    status.classList.toggle("is-error", !!isError);
  }

  function run(button) {
    var mode = button.getAttribute("data-passkey");
    var nameInput = document.getElementById(button.getAttribute("data-name-input") || "");
    button.disabled = true;
    say(button, mode === "register" ? "Follow your browser's prompt…" : "Use your passkey…");
    post(button.getAttribute("data-options-url"))
      .then(function (options) {
        if (mode === "register") {
          return navigator.credentials
            .create({ publicKey: creationOptions(options) })
            .then(function (credential) {
              return post(button.getAttribute("data-url"), {
                credential: registrationJSON(credential),
                name: nameInput ? nameInput.value : "",
              });
            });
        }
        return navigator.credentials
          .get({ publicKey: requestOptions(options) })
          .then(function (credential) {
            return post(button.getAttribute("data-url"), { credential: assertionJSON(credential) });
          });
      })
      .then(function (data) {
        say(button, "Done.");
        window.location.assign(data.redirect);
      })
      .catch(function (error) {
        button.disabled = false;
        var text =
          error && error.name === "NotAllowedError"
            ? "The passkey prompt was closed or timed out. Try again."
            : error && error.name === "SecurityError"
              ? "Passkeys need the site's name, not a numeric address: open it by its name " +
                "(for the demo, http://localhost:8000)."
              : (error && error.message) || "That did not work. Try again.";
        say(button, text, true);
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var buttons = document.querySelectorAll("[data-passkey]");
    var supported = !!(window.PublicKeyCredential && navigator.credentials);
    Array.prototype.forEach.call(buttons, function (button) {
      if (!supported) {
        button.disabled = true;
        say(button, "This browser cannot use passkeys.", true);
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        run(button);
      });
    });
  });
})();
