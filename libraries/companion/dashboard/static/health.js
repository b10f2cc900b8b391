// The health page's live updates: server-sent events from the companion, applied with textContent only.
// No framework, no build step. Without JavaScript the page still shows the state it was rendered with.
(function () {
  "use strict";

  var root = document.getElementById("health");
  if (!root || typeof window.EventSource !== "function") {
    return;
  }
  var cards = document.getElementById("cards");
  var template = document.getElementById("card-template");
  var liveState = document.getElementById("live-state");
  var asOf = document.getElementById("as-of");
  var deadlines = {}; // service -> performance.now() when its breaker may probe
  var updates = 0;
  var source = null;
  var retryTimer = null;

  function setText(element, value) {
    var text = value === null || value === undefined ? "" : String(value);
    if (element.textContent !== text) {
      element.textContent = text;
    }
  }

  function fill(element, values) {
    element.querySelectorAll("[data-field]").forEach(function (field) {
      if (Object.prototype.hasOwnProperty.call(values, field.dataset.field)) {
        setText(field, values[field.dataset.field]);
      }
    });
    element.querySelectorAll("[data-show]").forEach(function (part) {
      var value = values[part.dataset.show];
      part.hidden = value === null || value === undefined || value === false || value === "";
    });
  }

  function cardFor(name) {
    var found = null;
    cards.querySelectorAll(".card").forEach(function (card) {
      if (card.dataset.service === name) {
        found = card;
      }
    });
    if (found === null) {
      found = template.content.firstElementChild.cloneNode(true);
      found.dataset.service = name;
    }
    return found;
  }

  function apply(view) {
    fill(document.getElementById("summary"), view.summary);
    var seen = {};
    var empty = document.getElementById("no-services");
    if (empty && view.services.length) {
      empty.remove();
    }
    view.services.forEach(function (service) {
      var card = cardFor(service.name);
      card.dataset.status = service.status;
      card.dataset.breaker = service.breaker;
      card.dataset.stale = service.stale ? "yes" : "no";
      fill(card, service);
      cards.appendChild(card); // keeps the services' order
      seen[service.name] = true;
      if (service.probeIn === null || service.probeIn === undefined) {
        delete deadlines[service.name];
      } else {
        deadlines[service.name] = performance.now() + service.probeIn * 1000;
      }
    });
    cards.querySelectorAll(".card").forEach(function (card) {
      if (!seen[card.dataset.service]) {
        card.remove();
      }
    });
    if (view.asOf) {
      setText(asOf, view.asOf.slice(11, 19) + " UTC");
    }
    updates += 1;
    document.body.dataset.updates = String(updates);
  }

  function tick() {
    var now = performance.now();
    Object.keys(deadlines).forEach(function (name) {
      var card = cardFor(name);
      var field = card.querySelector('[data-field="probeIn"]');
      if (field) {
        setText(field, Math.max(0, Math.ceil((deadlines[name] - now) / 1000)));
      }
    });
  }

  function live(state, text) {
    document.body.dataset.live = state;
    setText(liveState, text);
  }

  function connect() {
    retryTimer = null;
    source = new EventSource(root.dataset.events);
    source.addEventListener("open", function () {
      live("connected", "live");
    });
    source.addEventListener("health", function (event) {
      apply(JSON.parse(event.data));
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {
        // the server refused the stream (e.g. signed out, too many pages): try again later ourselves
        live("reconnecting", "connection lost: reconnecting in 5 s");
        if (retryTimer === null) {
          retryTimer = window.setTimeout(connect, 5000);
        }
      } else {
        live("reconnecting", "connection lost: reconnecting");
      }
    });
  }

  live("connecting", "connecting");
  connect();
  window.setInterval(tick, 250);
}());
