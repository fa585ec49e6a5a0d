// The lot list's product filter: names suggested as they are typed, from the catalogue.
// Without this script the filter still works: the name typed is matched when the form is sent.
(() => {
  const input = document.getElementById("product");
  const list = document.getElementById("product-names");
  if (!input || !list) return;
  let timer = null;
  let asked = 0;

  const ask = async () => {
    const text = input.value.trim();
    if (!text) {
      list.replaceChildren();
      return;
    }
    const ticket = ++asked;
    try {
      const response = await fetch(`${input.dataset.suggestUrl}?q=${encodeURIComponent(text)}`, {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      if (!response.ok || ticket !== asked) return;
      const { items } = await response.json();
      if (ticket !== asked) return;
      list.replaceChildren(...items.map((item) => {
        const option = document.createElement("option");
        option.value = item.name;
        return option;
      }));
    } catch {
      // offline or logged out: typing the whole name still filters
    }
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, 120);
  });
  // A name typed before this script ran (a slow page) is suggested for too.
  if (input.value.trim()) ask();
})();
