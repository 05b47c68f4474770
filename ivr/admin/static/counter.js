// Driftinfo: a live count of the characters left for the chosen system's one SMS (the same budget as `ivr check`
// and the server's own check: GSM-7 septets, the extension characters counting two). A file: the CSP allows no
// inline script. Without script the hint and the server's answer still say the limit.
(function () {
  "use strict";
  var text = document.getElementById("text");
  var system = document.getElementById("system");
  var out = document.getElementById("text-count");
  if (!text || !system || !out) { return; }
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ" +
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENDED = "^{}\\[~]|€\f";
  var timer = null;
  function septets(value) {
    var total = 0, odd = [];
    for (var i = 0; i < value.length; i++) {
      var c = value.charAt(i);
      if (BASIC.indexOf(c) >= 0) { total += 1; }
      else if (EXTENDED.indexOf(c) >= 0) { total += 2; }
      else if (odd.indexOf(c) < 0) { odd.push(c); }
    }
    return {total: total, odd: odd};
  }
  function room() {
    var chosen = system.options[system.selectedIndex];
    return parseInt(chosen ? chosen.getAttribute("data-room") : "0", 10) || 0;
  }
  function show() {
    var counted = septets(text.value.split(/\s+/).filter(Boolean).join(" "));
    var left = room() - counted.total;
    var words;
    if (counted.odd.length) {
      words = "Byt ut de här tecknen, de är inte vanliga sms-tecken: " + counted.odd.join(" ");
    } else if (left >= 0) {
      words = left + " av " + room() + " tecken kvar.";
    } else {
      words = (-left) + " tecken för många. Högst " + room() + " tecken får plats i ett sms med rubriken.";
    }
    out.textContent = words;
    out.className = (left < 0 || counted.odd.length) ? "hint error" : "hint";
  }
  function later() {  // a screen reader hears the count when typing pauses, not at every key
    window.clearTimeout(timer);
    timer = window.setTimeout(show, 400);
  }
  text.addEventListener("input", later);
  system.addEventListener("change", show);
  show();
}());
