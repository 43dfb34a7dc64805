// Small behaviours shared by every page. The Content-Security-Policy allows no inline
// script or event handler attribute: templates ask for behaviour with data-* attributes,
// which Django escapes like any other attribute value.
document.addEventListener("DOMContentLoaded", () => {
  // Schedule forms: the time field matters only for "Daily at a time".
  document.querySelectorAll(".schedule-form").forEach((form) => {
    const select = form.querySelector("select");
    const daily = form.querySelector(".daily-at");
    select.classList.add("form-select", "form-select-sm");
    form.querySelector("input[type=time]").classList.add("form-control", "form-control-sm");
    select.addEventListener("change", () => { daily.hidden = select.value !== "daily"; });
  });
  // Buttons that ask before they act (data-confirm="…").
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // A choice that reloads the page for what it picked (data-submit-on-change).
  document.querySelectorAll("[data-submit-on-change]").forEach((input) => {
    input.addEventListener("change", () => input.form.submit());
  });
  // A field that matters only for one answer to another: data-show-field="<wrapper id>"
  // and data-when="<input name>=<value>" on the form (a ticked checkbox's value is "on").
  document.querySelectorAll("form[data-show-field]").forEach((form) => {
    const field = document.getElementById(form.dataset.showField);
    const [name, value] = (form.dataset.when || "").split("=");
    const inputs = Array.from(form.elements).filter((input) => input.name === name);
    if (!field || !inputs.length) return;
    const sync = () => {
      field.hidden = !inputs.some((input) => input.checked && input.value === value);
    };
    inputs.forEach((input) => input.addEventListener("change", sync));
    sync();
  });
  // A group of fields that matters for some answers to a choice only (the protocol of a
  // file transport): data-shown-for="<select name>=<value>,<value>".
  document.querySelectorAll("[data-shown-for]").forEach((group) => {
    const [name, values] = group.dataset.shownFor.split("=");
    const select = group.closest("form")?.elements.namedItem(name);
    if (!select) return;
    const shown = values.split(",");
    const sync = () => { group.hidden = !shown.includes(select.value); };
    select.addEventListener("change", sync);
    sync();
  });
});
