// The change calendar: FullCalendar (static/vendor/fullcalendar) in month, week and list views.
// Everything it needs comes from the data-* attributes of #change-calendar (no inline code under
// the CSP). For the range on screen it reads the API's calendar/events/ with the page's filters:
// rows, not event objects (a month of 10^4 changes travels and parses far faster), which become
// events here: a change coloured by its state, bordered by its risk (changes-calendar.css), a
// blackout or maintenance window as a shaded background event. Instants are ms since the epoch.
"use strict";

(function () {
  var element = document.getElementById("change-calendar");
  if (!element || !window.FullCalendar) {
    return;
  }
  var data = element.dataset;
  var truncated = document.getElementById("calendar-truncated");
  var failed = document.getElementById("calendar-failed");
  var viewInput = document.querySelector("#calendar-filters input[name=view]");

  function changeEvent(row, body) {
    // [id, number, short_description, state, risk, change_model, start, end]
    return {
      title: row[1] + " " + row[2], start: row[6], end: row[7], url: body.change_url.replace("{id}", row[0]),
      classNames: ["chg-event", "chg-state-" + row[3], "chg-risk-" + (row[4] || "none")],
      extendedProps: { state: row[3], risk: row[4], model: row[5] },
    };
  }

  function wholeDays(start, end) {
    // The days a window touches, on the viewer's clock: the month grid shades only all-day
    // background events (its cells are days), the week grid the exact hours.
    var first = new Date(start);
    first.setHours(0, 0, 0, 0);
    var last = new Date(end);
    if (last.getHours() || last.getMinutes() || last.getSeconds() || last.getMilliseconds()) {
      last.setHours(0, 0, 0, 0);
      last.setDate(last.getDate() + 1);
    }
    return [first, last];
  }

  function windowEvent(row, byDay) {
    // [window id, name, kind, place, start, end]
    var span = byDay ? wholeDays(row[4], row[5]) : [row[4], row[5]];
    return {
      title: row[1], start: span[0], end: span[1], allDay: byDay, display: "background",
      classNames: ["chg-window-" + row[2]], extendedProps: { kind: row[2], place: row[3] },
    };
  }

  var labels = { state: {}, risk: {}, model: {}, kind: {} };

  function load(info, success, failure) {
    var params = new URLSearchParams(data.filters || "");
    params.set("start", info.startStr);
    params.set("end", info.endStr);
    fetch(data.eventsUrl + "?" + params.toString(), {
      credentials: "same-origin", headers: { Accept: "application/json" },
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      return response.json();
    }).then(function (body) {
      labels = body.labels;
      truncated.hidden = !body.truncated;
      failed.hidden = true;
      var byDay = calendar.view.type.indexOf("dayGrid") === 0;
      var events = body.changes.map(function (row) { return changeEvent(row, body); });
      success(events.concat(body.windows.map(function (row) { return windowEvent(row, byDay); })));
    }).catch(function (error) {
      failed.hidden = false;
      failure(error);
    });
  }

  function describe(info) {
    var props = info.event.extendedProps;
    if (info.event.display === "background") {
      info.el.title = info.event.title + (props.place ? " — " + props.place : "") + " (" +
        (labels.kind[props.kind] || props.kind) + ")";
      return;
    }
    var parts = [info.event.title, data.textState + ": " + (labels.state[props.state] || props.state)];
    if (props.risk) {
      parts.push(data.textRisk + ": " + (labels.risk[props.risk] || props.risk));
    }
    parts.push(data.textModel + ": " + (labels.model[props.model] || props.model));
    info.el.title = parts.join("\n");
  }

  var calendar = new window.FullCalendar.Calendar(element, {
    initialView: data.initialView || "dayGridMonth",
    locale: document.documentElement.lang || "en",
    firstDay: 1,
    height: "auto",
    headerToolbar: { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listMonth" },
    buttonText: { today: data.textToday, month: data.textMonth, week: data.textWeek, list: data.textList },
    moreLinkText: data.textMore,
    noEventsText: data.textNone,
    dayMaxEvents: true,
    // Each view asks again: the month grid shades windows by day, the week grid by the hour.
    lazyFetching: false,
    eventDisplay: "block",
    nowIndicator: true,
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    events: load,
    eventDidMount: describe,
    datesSet: function (info) {
      // The filter form keeps the view the person chose.
      if (viewInput) {
        viewInput.value = info.view.type;
      }
    },
  });
  calendar.render();
})();
