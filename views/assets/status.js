// The only script. It tells the server the browser's time zone (a cookie), then reloads once so
// times show in it, and keeps the ticket list fresh. Without JavaScript the page works the same,
// in UTC or the zone chosen on /timezone, refreshed by hand.
(function () {
  'use strict';
  var marker = document.querySelector('[data-refresh-seconds]');
  if (marker) {
    var seconds = Number(marker.getAttribute('data-refresh-seconds')) || 60;
    setInterval(function () {
      var active = document.activeElement;
      var typing = active && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
      if (document.visibilityState === 'visible' && !typing) location.reload();
    }, seconds * 1000);
  }
})();
(function () {
  'use strict';
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (e) {
    return;
  }
  if (!zone || /(?:^|;\s*)tz=/.test(document.cookie)) return;
  document.cookie = 'tz=' + encodeURIComponent(zone) + '; path=/; max-age=31536000; SameSite=Lax';
  try {
    if (sessionStorage.getItem('ticketbot-tz-reloaded')) return;
    sessionStorage.setItem('ticketbot-tz-reloaded', '1');
  } catch (e) {
    return;
  }
  if (zone !== 'UTC' && /(?:^|;\s*)tz=/.test(document.cookie)) location.reload();
})();
