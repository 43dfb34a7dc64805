// The CSV format editor: add, remove and reorder columns and constants, and keep the
// preview in step with the form. It posts the whole form to the preview URL (the CSRF
// token travels in the form) and swaps in the HTML fragment the server renders.
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("csv-format-form");
  if (!form) return;
  const preview = document.getElementById("csv-preview");
  const layout = form.querySelector("select[name='format-layout']");
  const groupCount = document.getElementById("group-count-field");
  let timer = null;
  let sequence = 0;

  form.querySelectorAll("[data-no-script-only]").forEach((element) => { element.hidden = true; });

  // Django's formsets number their fields (columns-0-field, ...): after a change the
  // numbers follow the rows' order on the page, and TOTAL_FORMS their count.
  const renumber = (tbody) => {
    const prefix = tbody.dataset.formset;
    const pattern = new RegExp(`^(id_)?${prefix}-(\\d+|__prefix__)-`);
    const rows = tbody.querySelectorAll("tr[data-row]");
    rows.forEach((row, index) => {
      row.querySelectorAll("input, select, label").forEach((element) => {
        ["name", "id", "for"].forEach((attribute) => {
          const value = element.getAttribute(attribute);
          if (value) {
            element.setAttribute(attribute, value.replace(pattern, (match, id) => `${id || ""}${prefix}-${index}-`));
          }
        });
      });
      const number = row.querySelector("[data-row-number]");
      if (number) number.textContent = String(index + 1);
    });
    document.getElementById(`id_${prefix}-TOTAL_FORMS`).value = String(rows.length);
  };

  // Fixed text matters only for a "Fixed text" column.
  const syncRow = (row) => {
    const field = row.querySelector("select[name$='-field']");
    const value = row.querySelector("input[name$='-value']");
    if (field && value && row.closest("tbody").dataset.formset === "columns") {
      value.disabled = field.value !== "fixed";
    }
  };

  const syncLayout = () => {
    if (layout && groupCount) groupCount.hidden = layout.value !== "grouped";
  };

  const showFailure = (message) => {
    const alert = document.createElement("div");
    alert.className = "alert alert-danger mb-0";
    alert.textContent = message;
    preview.replaceChildren(alert);
  };

  const refresh = () => {
    const mine = ++sequence;
    preview.setAttribute("aria-busy", "true");
    fetch(form.dataset.previewUrl, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then((response) => {
        // A redirect is the login page: the session ended while the page was open.
        if (response.redirected) return Promise.reject(new Error("Log in again (reload the page) to see the preview."));
        if (!response.ok) return Promise.reject(new Error("The preview could not be loaded. Edit again, or reload the page."));
        return response.text();
      })
      .then((html) => {
        if (mine !== sequence) return; // an older answer arriving late
        preview.innerHTML = html;
        preview.removeAttribute("aria-busy");
      })
      .catch((error) => {
        if (mine !== sequence) return;
        preview.removeAttribute("aria-busy");
        const offline = error instanceof TypeError; // fetch itself failed: no connection
        showFailure(offline ? "The preview could not be loaded: check your connection." : error.message);
      });
  };

  const schedule = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, 250);
  };

  form.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const action = button.dataset.action;
    if (action === "add") {
      const tbody = form.querySelector(`tbody[data-formset='${button.dataset.formset}']`);
      tbody.append(document.getElementById(button.dataset.template).content.cloneNode(true));
      renumber(tbody);
      const row = tbody.lastElementChild;
      syncRow(row);
      row.querySelector("select").focus();
      schedule();
      return;
    }
    const row = button.closest("tr[data-row]");
    const tbody = row.parentElement;
    if (action === "remove") row.remove();
    if (action === "up" && row.previousElementSibling) tbody.insertBefore(row, row.previousElementSibling);
    if (action === "down" && row.nextElementSibling) tbody.insertBefore(row.nextElementSibling, row);
    renumber(tbody);
    if (action !== "remove") button.focus();
    schedule();
  });

  form.addEventListener("change", (event) => {
    const row = event.target.closest("tr[data-row]");
    if (row) syncRow(row);
    if (event.target === layout) syncLayout();
    schedule();
  });
  form.addEventListener("input", schedule);

  form.querySelectorAll("tr[data-row]").forEach(syncRow);
  syncLayout();
});
