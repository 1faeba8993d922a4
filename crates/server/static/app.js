// Small progressive enhancements; every page works without this file.
document.addEventListener("submit", function (e) {
  var b = e.target.querySelector("button[type=submit], button:not([type])");
  if (b && e.target.method === "post") { setTimeout(function () { b.disabled = true; }, 0); }
});
