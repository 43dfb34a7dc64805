// Small behaviours shared by every page.
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
});
