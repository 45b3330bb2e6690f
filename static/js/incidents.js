// The incident pages: live priority, dependent selects, keyboard submit, bulk selection.
// Configured by data- attributes only (the CSP allows no inline script).
"use strict";

(function () {
  // Priority shown live: <form data-priority-matrix='{"1-1": 1, ...}' data-priority-labels="P1…|P2…">
  // with <select data-priority-input="impact|urgency"> and <output id="priority-preview">.
  var PRIORITY_COLOURS = { 1: "red", 2: "orange", 3: "yellow", 4: "blue", 5: "secondary" };

  function updatePriority(form) {
    var output = form.querySelector("#priority-preview");
    var impact = form.querySelector("[data-priority-input=impact]");
    var urgency = form.querySelector("[data-priority-input=urgency]");
    if (!output || !impact || !urgency) return;
    var matrix = JSON.parse(form.dataset.priorityMatrix || "{}");
    var labels = (form.dataset.priorityLabels || "").split("|");
    var priority = matrix[impact.value + "-" + urgency.value];
    output.className = "badge";
    if (!priority) {
      output.textContent = "—";
      output.classList.add("bg-secondary-lt");
      return;
    }
    output.textContent = labels[priority - 1] || "P" + priority;
    output.dataset.priority = priority;
    output.classList.add("bg-" + PRIORITY_COLOURS[priority] + "-lt");
  }

  // Dependent selects: options carry data-parent (subcategory → category) or data-teams
  // (assignee → assignment group); only the matching ones are offered.
  function filterOptions(select, keep) {
    var current = select.options[select.selectedIndex];
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) return;
      var visible = keep(option);
      option.hidden = !visible;
      option.disabled = !visible;
    });
    if (current && current.value && current.disabled) select.value = "";
  }

  function updateSubcategories(root) {
    root.querySelectorAll("select[data-subcategory-of]").forEach(function (select) {
      var category = document.getElementById(select.dataset.subcategoryOf);
      if (!category) return;
      filterOptions(select, function (option) {
        return !category.value || option.dataset.parent === category.value;
      });
    });
  }

  function updateAssignees(root) {
    root.querySelectorAll("select[data-assignee-of]").forEach(function (select) {
      var group = document.getElementById(select.dataset.assigneeOf);
      if (!group) return;
      filterOptions(select, function (option) {
        if (!group.value) return true;
        return (option.dataset.teams || "").split(" ").indexOf(group.value) !== -1;
      });
    });
  }

  // Bulk actions on the queue: a count of ticked rows, "select all", and the fields of the
  // chosen action (and step) only.
  function updateBulk() {
    var form = document.querySelector("[data-bulk-form]");
    if (!form) return;
    var ticked = document.querySelectorAll("input[data-bulk-row]:checked").length;
    var count = form.querySelector("[data-bulk-count]");
    if (count) count.textContent = count.dataset.template.replace("%(count)s", ticked);
    var operation = form.querySelector("[data-bulk-operation]");
    var step = form.querySelector("select[name=transition]");
    form.querySelectorAll("[data-bulk-for]").forEach(function (part) {
      var shown = part.dataset.bulkFor === (operation ? operation.value : "");
      if (shown && part.dataset.bulkStep) shown = step && step.value === part.dataset.bulkStep;
      part.hidden = !shown;
    });
    var apply = form.querySelector("#bulk-apply");
    if (apply) apply.disabled = ticked === 0;
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    var form = target.form;
    if (target.matches("[data-priority-input]") && form) updatePriority(form);
    if (target.matches("select[data-category], select[id$=category]")) updateSubcategories(document);
    if (target.matches("select[id$=assignment_group]")) updateAssignees(document);
    if (target.matches("input[data-bulk-all]")) {
      document.querySelectorAll("input[data-bulk-row]").forEach(function (box) { box.checked = target.checked; });
    }
    if (target.closest("[data-bulk-form]") || target.matches("input[data-bulk-row], input[data-bulk-all]")) {
      updateBulk();
    }
  });

  // The queue's filters change the address (htmx pushes it): saving a filter saves what is shown,
  // and a bulk action comes back to it.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var query = window.location.search.replace(/^\?/, "");
    if (form.id === "saved-filter-form") {
      form.querySelector("input[name=query]").value = query;
    } else if (form.id === "bulk-form") {
      form.querySelector("input[name=next]").value = window.location.pathname + window.location.search;
    }
  }, true);

  // Ctrl+Enter (Cmd+Enter on a Mac) submits the form being typed in.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = event.target.closest && event.target.closest("form[data-submit-shortcut]");
    if (!form) return;
    event.preventDefault();
    // The form's own submit button, so that its name and value (e.g. transition=resolve) are sent.
    var button = form.querySelector("button[type=submit], button:not([type])");
    form.requestSubmit(button || undefined);
  });

  // A swap of the results (a filter, sort or page change; the search box also reports a change
  // when it loses focus, e.g. to the first tick) keeps the ticks of the rows still listed.
  var tickedBeforeSwap = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!event.detail.target || event.detail.target.id !== "list-results") return;
    tickedBeforeSwap = new Set(Array.from(document.querySelectorAll("input[data-bulk-row]:checked"),
      function (box) { return box.value; }));
  });

  function restoreTicks() {
    if (!tickedBeforeSwap) return;
    document.querySelectorAll("input[data-bulk-row]").forEach(function (box) {
      if (tickedBeforeSwap.has(box.value)) box.checked = true;
    });
    tickedBeforeSwap = null;
  }

  function init(root) {
    document.querySelectorAll("form[data-priority-matrix]").forEach(updatePriority);
    updateSubcategories(document);
    updateAssignees(document);
    restoreTicks();
    updateBulk();
    // A panel opened with errors (the server says which) gets the keyboard focus.
    var panel = document.querySelector("#action-panels .collapse.show");
    var field = panel && (panel.querySelector("[aria-invalid=true]") || panel.querySelector("select, textarea"));
    if (field && root === document.body) field.focus();
  }

  htmx.onLoad(init);
})();
