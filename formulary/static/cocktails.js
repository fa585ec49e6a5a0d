// The composer: refresh the summary panel as you compose, and show each product's unit.
// Without this script the form still works: "Preview" asks the server for the same panel.
(() => {
  const form = document.getElementById("cocktail-form");
  const panel = document.getElementById("cocktail-summary");
  if (!form || !panel) return;
  const url = form.dataset.previewUrl;
  const tokenInput = form.querySelector("input[name='csrf_token']");
  let timer = null;
  let latest = 0;

  const showUnit = (select) => {
    const option = select.options[select.selectedIndex];
    const unit = select.closest("tr") && select.closest("tr").querySelector("[data-role='unit']");
    if (unit) unit.textContent = (option && option.dataset.unit) || "mL";
  };

  const refresh = async () => {
    const request = ++latest;
    panel.classList.add("refreshing");
    try {
      const response = await fetch(url, {
        method: "POST",
        body: new FormData(form),
        headers: { "X-CSRFToken": tokenInput ? tokenInput.value : "", "Accept": "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) return;
      const summary = await response.json();
      if (request === latest) panel.innerHTML = summary.html;
    } catch (error) {
      // Offline or the server went away: the Preview button still works once it is back.
    } finally {
      if (request === latest) panel.classList.remove("refreshing");
    }
  };

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  };

  form.addEventListener("change", (event) => {
    if (event.target.matches("[data-role='product']")) showUnit(event.target);
    schedule();
  });
  form.addEventListener("input", (event) => {
    if (event.target.matches("input[name$='-amount']")) schedule();
  });
  form.querySelectorAll("[data-role='product']").forEach(showUnit);
})();
