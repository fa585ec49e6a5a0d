// The signature pad of the consent page: draw with a finger, a stylus or the mouse (pointer events), then
// the drawing goes into the form's hidden field as a PNG data URL. Ours, small, no library.
(function () {
  "use strict";

  function setUp(pad) {
    var form = pad.closest("form");
    var canvas = pad.querySelector("canvas");
    var field = form.querySelector("#" + pad.dataset.signatureFor);
    var state = pad.querySelector("[data-signature-state]");
    var methods = form.querySelectorAll("input[name='" + pad.dataset.methodField + "']");
    var context = canvas.getContext("2d");
    var drawing = false;
    var strokes = 0;
    var last = null;

    function fit() {
      // Sharp lines on high-density screens: the bitmap follows the device pixels, drawing uses CSS pixels.
      var ratio = window.devicePixelRatio || 1;
      var width = pad.clientWidth;
      var height = Math.max(160, Math.min(260, Math.round(width * 0.35)));
      canvas.style.width = width + "px";
      canvas.style.height = height + "px";
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      context.setTransform(ratio, 0, 0, ratio, 0, 0);
      context.lineWidth = 2.5;
      context.lineCap = "round";
      context.lineJoin = "round";
      context.strokeStyle = "#111";
      clear();
    }

    function clear() {
      context.clearRect(0, 0, canvas.width, canvas.height);
      strokes = 0;
      field.value = "";
      state.textContent = "Not signed yet.";
    }

    function point(event) {
      var box = canvas.getBoundingClientRect();
      return {x: event.clientX - box.left, y: event.clientY - box.top};
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
      context.beginPath();
      context.arc(last.x, last.y, context.lineWidth / 2, 0, 2 * Math.PI);
      context.fillStyle = context.strokeStyle;
      context.fill();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      event.preventDefault();
      var next = point(event);
      context.beginPath();
      context.moveTo(last.x, last.y);
      context.lineTo(next.x, next.y);
      context.stroke();
      last = next;
    });
    function stop() {
      if (!drawing) { return; }
      drawing = false;
      strokes += 1;
      state.textContent = "Signed. Clear to start again.";
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    pad.querySelector("[data-signature-clear]").addEventListener("click", clear);

    function onScreen() {
      var chosen = form.querySelector("input[name='" + pad.dataset.methodField + "']:checked");
      return !chosen || chosen.value === "on-screen";
    }
    function showPad() { pad.hidden = !onScreen(); }
    methods.forEach(function (input) { input.addEventListener("change", showPad); });

    form.addEventListener("submit", function (event) {
      if (!onScreen()) { field.value = ""; return; }
      if (!strokes) {
        event.preventDefault();
        state.textContent = "Please sign in the box first.";
        state.classList.add("text-danger");
        return;
      }
      field.value = canvas.toDataURL("image/png");
    });

    var width = pad.clientWidth;
    window.addEventListener("resize", function () {
      // Only a real change of width redraws (a tablet's keyboard changes the height): that clears the pad.
      if (pad.clientWidth !== width && !strokes) { width = pad.clientWidth; fit(); }
    });
    fit();
    showPad();
  }

  document.querySelectorAll(".signature-pad").forEach(setUp);
})();
