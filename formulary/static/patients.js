// The allergy form's type-ahead: substances and allergen groups by any name or synonym.
// Without this script the form still works: the text typed is resolved when it is saved.
(() => {
  const box = document.querySelector(".allergen-suggest");
  if (!box) return;
  const input = box.querySelector("input[name='allergen']");
  const list = box.querySelector(".allergen-options");
  const note = document.getElementById("allergen-match");
  const url = box.dataset.suggestUrl;
  let items = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  // The same idea as the server's matching key: case, accents, spaces and punctuation ignored.
  const key = (text) => text.normalize("NFKD").toLowerCase().replace(/[^\p{L}\p{N}]/gu, "");
  const kindLabel = (item) => (item.kind === "group" ? "allergen group" : "substance");

  const say = (text, tone) => {
    note.textContent = text;
    note.className = `small mt-1 ${tone ? `text-${tone}` : ""}`;
  };
  const describe = (item) => say(`Will be recorded as ${item.resolves_to} (${kindLabel(item)}).`, "success");

  const close = () => {
    list.classList.add("d-none");
    list.replaceChildren();
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  };

  const pick = (index) => {
    const item = items[index];
    if (!item) return;
    input.value = item.value;
    describe(item);
    close();
  };

  const option = (item, index) => {
    const li = document.createElement("li");
    li.className = `list-group-item list-group-item-action${index === active ? " active" : ""}`;
    li.id = `allergen-option-${index}`;
    li.setAttribute("role", "option");
    li.setAttribute("aria-selected", index === active ? "true" : "false");
    const name = document.createElement("span");
    name.textContent = item.name;
    li.append(name);
    if (item.name !== item.resolves_to) {
      const target = document.createElement("strong");
      target.textContent = item.resolves_to;
      li.append(" → ", target);
    }
    const badge = document.createElement("span");
    badge.className = `badge ms-2 ${item.kind === "group" ? "text-bg-info" : "text-bg-light border"}`;
    badge.textContent = kindLabel(item);
    li.append(badge);
    // mousedown, not click: the input's blur would close the list before a click lands.
    li.addEventListener("mousedown", (event) => {
      event.preventDefault();
      pick(index);
    });
    return li;
  };

  const render = () => {
    if (!items.length) {
      close();
      return;
    }
    list.replaceChildren(...items.map(option));
    list.classList.remove("d-none");
    input.setAttribute("aria-expanded", "true");
    if (active >= 0) input.setAttribute("aria-activedescendant", `allergen-option-${active}`);
    else input.removeAttribute("aria-activedescendant");
  };

  const explain = (text) => {
    const exact = items.find((item) => key(item.name) === key(text));
    if (exact) describe(exact);
    else if (!items.length && key(text).length >= 3) {
      say("Nothing in the catalogue matches: it will be kept as free text, not matched to any substance — "
          + "the check will flag it for review.", "warning-emphasis");
    } else say("", "");
  };

  const ask = async () => {
    const text = input.value;
    if (!key(text)) {
      items = [];
      close();
      say("", "");
      return;
    }
    const ticket = ++asked;
    try {
      const response = await fetch(`${url}?q=${encodeURIComponent(text)}`, {
        headers: { Accept: "application/json" }, credentials: "same-origin",
      });
      if (!response.ok || ticket !== asked) return;
      items = (await response.json()).items;
    } catch {
      return; // offline or logged out: the form still works without suggestions
    }
    if (ticket !== asked) return;
    active = -1;
    render();
    explain(text);
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, 120);
  });
  input.addEventListener("keydown", (event) => {
    const open = !list.classList.contains("d-none");
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!open) {
        if (items.length) render();
        return;
      }
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      active = (active + step + items.length) % items.length;
      render();
    } else if (event.key === "Enter" && open && active >= 0) {
      event.preventDefault();
      pick(active);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      close();
    }
  });
  input.addEventListener("blur", () => close());
})();
