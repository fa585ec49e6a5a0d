// The product form: the opened shelf life only applies to a multi-dose product.
(() => {
  const form = document.getElementById("product-form");
  if (!form) return;
  const days = form.querySelector("[name='opened_shelf_life_days']");
  const update = () => {
    const multi = form.querySelector("[name='use'][value='multi']");
    if (days && multi) days.disabled = !multi.checked;
  };
  form.addEventListener("change", (event) => {
    if (event.target.name === "use") update();
  });
  update();
})();
