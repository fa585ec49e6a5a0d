// The session pages: print buttons (the Content-Security-Policy forbids inline handlers).
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action='print']");
  if (button) { event.preventDefault(); window.print(); }
});
