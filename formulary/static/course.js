// Start a course: choosing a cocktail offers its series setting (sessions, days between) when the fields are empty.
(function () {
  "use strict";
  var form = document.getElementById("course-form");
  if (!form) { return; }
  var series = JSON.parse(form.dataset.series || "{}");
  var cocktail = form.querySelector("#cocktail");
  var sessions = form.querySelector("#sessions");
  var every = form.querySelector("#interval_days");
  function offer() {
    var setting = series[cocktail.value];
    if (!setting) { return; }
    if (!sessions.value && setting[0]) { sessions.value = setting[0]; }
    if (!every.value && setting[1]) { every.value = setting[1]; }
  }
  cocktail.addEventListener("change", offer);
  offer();
})();
