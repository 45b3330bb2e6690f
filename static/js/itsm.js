// Behaviour of the shell. Loaded after htmx and Tom Select; no inline scripts exist (CSP).
"use strict";

(function () {
  // Searchable selects: <select data-tom-select="single|multiple">. Their texts come
  // translated from attributes on <body>.
  function enhanceSelects(root) {
    var texts = document.body.dataset;
    root.querySelectorAll("select[data-tom-select]").forEach(function (select) {
      if (select.tomselect) return;
      if (select.dataset.searchUrl) {
        searchSelect(select, texts);
        return;
      }
      var multiple = select.dataset.tomSelect === "multiple";
      new TomSelect(select, {
        plugins: multiple ? { remove_button: { title: texts.removeLabel } } : [],
        allowEmptyOption: !multiple,
        maxOptions: null,
        render: {
          no_results: function () {
            var message = document.createElement("div");
            message.className = "no-results";
            message.textContent = texts.noResults;
            return message;
          },
        },
      });
    });
  }

  // Autocomplete from the server: <select data-tom-select="search" data-search-url="…?q=">;
  // the URL answers {"results": [{"value": …, "text": …}]}. The page holds only the chosen
  // options; a choice that may stay empty (a filter's "Any") can be cleared with a button.
  function searchSelect(select, texts) {
    var plugins = select.multiple ? { remove_button: { title: texts.removeLabel } }
      : (select.required ? [] : { clear_button: { title: texts.removeLabel } });
    new TomSelect(select, {
      plugins: plugins,
      valueField: "value",
      labelField: "text",
      searchField: [],
      maxOptions: 50,
      loadThrottle: 250,
      shouldLoad: function (query) { return query.length > 0; },
      load: function (query, callback) {
        var url = new URL(select.dataset.searchUrl, window.location.href);
        url.searchParams.set("q", query);
        fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then(function (response) { return response.json(); })
          .then(function (data) { callback(data.results); })
          .catch(function () { callback(); });
      },
      render: {
        no_results: function () {
          var message = document.createElement("div");
          message.className = "no-results";
          message.textContent = texts.noResults;
          return message;
        },
      },
    });
  }

  // Selects that apply at once: <select data-autosubmit> submits its form when changed.
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
      target.form.requestSubmit();
    }
  });

  // Forms that destroy something ask first: <form data-confirm="Revoke …?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });

  // Copy buttons: <button data-copy="id-of-input" data-copied-text="Copied">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var input = document.getElementById(button.dataset.copy);
    input.select();
    navigator.clipboard.writeText(input.value).then(function () {
      button.textContent = button.dataset.copiedText;
    });
  });

  // "/" jumps to the search box of a list page, as in many web applications.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
    var search = document.querySelector("[data-search-shortcut]");
    if (search) {
      event.preventDefault();
      search.focus();
    }
  });

  // The header's search: arrow keys move between the box and its suggestions, Escape closes
  // them, a click elsewhere too. Enter in the box submits the form (the full results page).
  var searchBox = document.getElementById("global-search");
  var suggestions = document.getElementById("global-search-suggestions");
  if (searchBox && suggestions) {
    var links = function () { return Array.prototype.slice.call(suggestions.querySelectorAll("a")); };
    var close = function () { suggestions.innerHTML = ""; };
    searchBox.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" && links().length) {
        event.preventDefault();
        links()[0].focus();
      } else if (event.key === "Escape") {
        close();
      }
    });
    suggestions.addEventListener("keydown", function (event) {
      var all = links();
      var index = all.indexOf(document.activeElement);
      if (event.key === "ArrowDown" && index < all.length - 1) {
        event.preventDefault();
        all[index + 1].focus();
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        (index > 0 ? all[index - 1] : searchBox).focus();
      } else if (event.key === "Escape") {
        close();
        searchBox.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (!event.target.closest(".global-search")) close();
    });
  }

  htmx.onLoad(enhanceSelects);
})();
