// The change calendar: FullCalendar (static/vendor/fullcalendar) in month, week and list views.
// Everything it needs comes from the data-* attributes of #change-calendar (no inline code under
// the CSP); events are read from the API (calendar/events/) for the range on screen, with the
// page's filters. Changes are coloured by state and bordered by risk (changes-calendar.css);
// blackout and maintenance windows are shaded background events.
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
      truncated.hidden = !body.truncated;
      failed.hidden = true;
      success(body.events);
    }).catch(function (error) {
      failed.hidden = false;
      failure(error);
    });
  }

  function describe(info) {
    var props = info.event.extendedProps;
    if (info.event.display === "background") {
      info.el.title = info.event.title + (props.place ? " — " + props.place : "") + " (" + props.kind + ")";
      return;
    }
    var parts = [info.event.title, data.textState + ": " + props.state];
    if (props.risk) {
      parts.push(data.textRisk + ": " + props.risk);
    }
    parts.push(data.textModel + ": " + props.model);
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
