/* The timeline page: draws /timeline.json with vis-timeline, in groups per programme (or per
   kind), with zoom buttons; claims get their own style and a prefix, so none reads as an event. */
(function () {
  "use strict";
  var app = document.querySelector("[data-timeline-app]");
  if (!app || !window.vis || typeof window.vis.Timeline !== "function") { return; }
  var names = app.querySelector("[data-timeline-names]");
  var claimPrefix = names.querySelector("[data-claim-prefix]").textContent;
  var timeline, data;

  function nameOf(attribute, key) {
    var el = names.querySelector("[" + attribute + '="' + key + '"]');
    return el ? el.textContent : key;
  }
  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }
  function groupsBy(mode) {
    if (mode === "category") {
      var seen = {};
      data.items.forEach(function (item) { seen[item.category] = true; });
      return Array.prototype.map.call(names.querySelectorAll("[data-category-name]"), function (el, i) {
        var key = el.getAttribute("data-category-name");
        return seen[key] ? {id: key, content: text(el.textContent), order: i} : null;
      }).filter(Boolean);
    }
    return data.groups.map(function (g, i) {
      return {id: g.id, content: text(g.label || nameOf("data-group-name", g.id)), order: i};
    });
  }
  function itemsBy(mode) {
    return data.items.map(function (item) {
      var label = (item.claim ? claimPrefix + " " : "") + (item.label || item.id);
      var entry = {id: item.id, group: mode === "category" ? item.category : item.group, start: item.start,
                   content: text(label), title: label + " (" + item.start + (item.end ? " – " + item.end : "") + ")",
                   className: "tl-" + item.category, type: item.end ? "range" : (item.claim ? "point" : "box")};
      if (item.end) { entry.end = item.end; }
      return entry;
    });
  }
  function draw(mode) {
    timeline.setData({groups: new window.vis.DataSet(groupsBy(mode)), items: new window.vis.DataSet(itemsBy(mode))});
    app.setAttribute("data-groupby", mode);
    // the busiest years at a width where labels sit side by side; "Show all" fits everything
    var narrow = window.matchMedia("(max-width: 700px)").matches;
    timeline.setWindow(new Date(data.to - (narrow ? 4 : 8), 0, 1), new Date(data.to + 1, 0, 1), {animation: false});
  }
  function start(json) {
    data = json;
    app.hidden = false;
    var narrow = window.matchMedia("(max-width: 700px)").matches;
    timeline = new window.vis.Timeline(app.querySelector("[data-timeline-canvas]"), [], {
      stack: true, zoomKey: "ctrlKey", orientation: {axis: "top"}, margin: {item: {horizontal: 4, vertical: 4}},
      min: new Date(data.from - 1, 0, 1), max: new Date(data.to + 2, 0, 1), zoomMin: 1000 * 60 * 60 * 24 * 20,
      maxHeight: narrow ? 600 : 720, tooltip: {followMouse: true, overflowMethod: "cap"},
      xss: {disabled: false}, showTooltips: true
    });
    draw("programme");
    timeline.on("select", function (props) {
      var hit = data.items.filter(function (item) { return item.id === props.items[0]; })[0];
      if (hit && hit.page) { window.location.href = hit.page; }
    });
    app.querySelector("[data-timeline-groupby]").addEventListener("change", function (event) { draw(event.target.value); });
    Array.prototype.forEach.call(app.querySelectorAll("[data-timeline-zoom]"), function (button) {
      button.addEventListener("click", function () {
        var how = button.getAttribute("data-timeline-zoom");
        if (how === "fit") { timeline.fit(); } else if (how === "in") { timeline.zoomIn(0.5); } else { timeline.zoomOut(0.5); }
      });
    });
    window.coopgraphTimeline = timeline;
    app.setAttribute("data-ready", "");
  }
  fetch(app.getAttribute("data-src"), {headers: {Accept: "application/json"}})
    .then(function (r) { return r.json(); })
    .then(start);
}());
