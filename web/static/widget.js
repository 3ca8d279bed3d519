/* The partner widget. A partner's page adds one tag:
 *
 *   <script src="https://<our host>/widget.js" data-partner-key="pk_..." async></script>
 *
 * and gets the booking flow in an iframe right after that tag, sized to its content. Optional:
 * data-lang="es" (Spanish), data-title (the iframe's accessible name).
 *
 * A classic script, not a module, so it runs in any partner page; it touches nothing but the iframe
 * it creates and listens only to messages from that iframe, from our own origin.
 */
(function () {
  "use strict";

  var script =
    document.currentScript ||
    // Old engines without currentScript: the first of our tags not mounted yet.
    Array.prototype.slice.call(document.querySelectorAll("script[data-partner-key]")).filter(function (s) {
      return /\/widget\.js(\?|#|$)/.test(s.src) && !s.hasAttribute("data-booking-widget");
    })[0];
  if (!script || script.hasAttribute("data-booking-widget")) return;
  script.setAttribute("data-booking-widget", "mounted");

  // The iframe and the messages come from wherever this script was served from.
  var origin = new URL(script.src, window.location.href).origin;
  var params = new URLSearchParams({ key: script.getAttribute("data-partner-key") || "" });
  var lang = script.getAttribute("data-lang");
  if (lang) params.set("lang", lang);

  var iframe = document.createElement("iframe");
  iframe.src = origin + "/embed?" + params.toString();
  iframe.title = script.getAttribute("data-title") || (lang === "es" ? "Reservar una cita" : "Book an appointment");
  iframe.setAttribute("allow", "geolocation"); // the flow's "use my location" button
  iframe.setAttribute("data-booking-widget", "frame");
  // Set through the CSSOM, which a partner's CSP (style-src) does not block, unlike a style attribute.
  iframe.style.display = "block";
  iframe.style.width = "100%";
  iframe.style.border = "0";
  iframe.style.height = "640px"; // until the flow reports its real height
  script.parentNode.insertBefore(iframe, script.nextSibling);

  window.addEventListener("message", function (event) {
    // Only our iframe, from our origin, may resize it; any other message is not for us.
    if (event.origin !== origin || event.source !== iframe.contentWindow) return;
    var data = event.data;
    if (!data || data.type !== "booking-widget:height") return;
    var height = Number(data.height);
    if (isFinite(height) && height > 0 && height < 20000) iframe.style.height = Math.ceil(height) + "px";
  });
})();
