// Small progressive enhancements; every page works without this file.
document.addEventListener("submit", function (e) {
  var b = e.target.querySelector("button[type=submit], button:not([type])");
  if (b && e.target.method === "post") { setTimeout(function () { b.disabled = true; }, 0); }
});

// Live alert queue: on each server-sent event, fetch the queue's table again and swap it in (no page reload).
(function () {
  var box = document.getElementById("alert-queue");
  if (!box || !window.EventSource) { return; }
  var live = document.getElementById("live");
  var pending = false;
  function refresh() {
    if (pending) { return; }
    pending = true;
    fetch(location.pathname + location.search, { headers: { "X-Fragment": "1" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null) { box.innerHTML = html; } })
      .finally(function () { pending = false; });
  }
  var es = new EventSource(box.getAttribute("data-live"));
  es.addEventListener("ready", function () { if (live) { live.hidden = false; } });
  es.addEventListener("alert", refresh);
  es.onerror = function () { if (live) { live.hidden = true; } };
})();
