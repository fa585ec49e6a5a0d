// Small behaviours that must not be inline scripts (the Content-Security-Policy forbids them).
document.addEventListener("click", (event) => {
  const back = event.target.closest("[data-action='history-back']");
  if (back) { event.preventDefault(); history.back(); }
});
document.addEventListener("submit", (event) => {
  const message = event.target.dataset && event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
