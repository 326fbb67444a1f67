// The directory page's "Near me": fills the search's coordinates from the browser's location
// (asked only when the button is pressed) and searches again.
(function () {
  "use strict";
  var button = document.getElementById("near-me");
  if (!button || !navigator.geolocation) return;
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (p) {
        document.getElementById("lat").value = p.coords.latitude.toFixed(5);
        document.getElementById("lon").value = p.coords.longitude.toFixed(5);
        document.getElementById("resource-search").submit();
      },
      function () {
        button.disabled = false;
        button.textContent = "Location not shared";
      },
      { maximumAge: 300000, timeout: 10000 }
    );
  });
})();
