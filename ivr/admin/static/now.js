// Nu: fetch the page again every data-refresh seconds and swap in its #live part, with a pause button.
// No meta refresh (axe: it moves focus and the reader's place), no inline script (the CSP allows none).
(function () {
  "use strict";
  var live = document.getElementById("live");
  var button = document.getElementById("pause");
  var status = document.getElementById("refresh-status");
  if (!live || !button) { return; }
  var seconds = parseInt(live.getAttribute("data-refresh"), 10) || 30;
  var paused = false;
  button.hidden = false;
  function show() {
    button.textContent = paused ? "Fortsätt uppdatera" : "Pausa uppdateringen";
    button.setAttribute("aria-pressed", paused ? "true" : "false");
    status.textContent = paused ? "Uppdateringen är pausad." : "Sidan uppdateras var " + seconds + ":e sekund.";
  }
  button.addEventListener("click", function () { paused = !paused; show(); });
  function refresh() {
    if (paused || document.hidden) { return; }
    fetch(window.location.href, {credentials: "same-origin", headers: {"X-Requested-With": "now.js"}})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) {
        if (!text || paused) { return; }
        var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("live");
        if (fresh) { live.innerHTML = fresh.innerHTML; }
      })
      .catch(function () { /* the next round tries again */ });
  }
  show();
  window.setInterval(refresh, seconds * 1000);
}());
