/* The network page: draws /network.json with Cytoscape.js, filters it by programme, theme and
   kind, finds a node, and expands a clicked node with its neighbours from our own endpoint. */
(function () {
  "use strict";
  var app = document.querySelector("[data-network-app]");
  if (!app || typeof window.cytoscape !== "function") { return; }
  var COLOURS = {programme: "#1f4e99", pairing: "#e08a00", place: "#2e8b57", organisation: "#7b4fa0",
                 theme: "#c2185b", event: "#607d8b", agreement: "#795548", document: "#9e9d24"};
  var SHAPES = {programme: "round-rectangle", pairing: "diamond", theme: "hexagon", event: "triangle",
                agreement: "rectangle", document: "rectangle"};
  var form = app.querySelector("[data-network-controls]");
  var info = app.querySelector("[data-network-info]");
  var status = app.querySelector("[data-network-status]");
  var cy, data, index = {};

  function kindName(kind) {
    var el = app.querySelector('[data-kind-name="' + kind + '"]');
    return el ? el.textContent : kind;
  }
  function element(node) {
    return {group: "nodes", data: {id: node.id, kind: node.kind, page: node.page, programmes: node.programmes,
      themes: node.themes, full: node.label || node.id,
      name: node.kind === "programme" && node.short ? node.short : shorten(node.label || node.id, node.kind)}};
  }
  function shorten(label, kind) {
    // "IUC pairing Yokohama-Frankfurt am Main" reads as "Yokohama-Frankfurt am Main" next to its programme
    if (kind === "pairing") { label = label.replace(/^\S+ pairing /, ""); }
    return label.length > 34 ? label.slice(0, 32) + "…" : label;
  }
  function add(nodes, edges) {
    var added = [];
    nodes.forEach(function (n) { if (cy.getElementById(n.id).empty()) { added.push(element(n)); } });
    edges.forEach(function (e) {
      var id = e.source + " " + e.target;
      if (cy.getElementById(id).empty()) { added.push({group: "edges", data: {id: id, source: e.source, target: e.target}}); }
    });
    return cy.add(added);
  }
  function layout(fit) {
    cy.layout({name: "cose", animate: false, randomize: false, fit: fit !== false, padding: 24,
               nodeRepulsion: function () { return 60000; }, idealEdgeLength: function () { return 80; },
               nodeOverlap: 40, componentSpacing: 120,
               numIter: 1500}).run();
  }
  function applyFilters() {
    var programme = form.programme.value, theme = form.theme.value;
    var kinds = {};
    form.querySelectorAll('input[name="kind"]').forEach(function (box) { kinds[box.value] = box.checked; });
    cy.batch(function () {
      cy.nodes().forEach(function (n) {
        var keep = kinds[n.data("kind")] !== false
          && (!programme || n.data("programmes").indexOf(programme) >= 0)
          && (!theme || n.data("themes").indexOf(theme) >= 0);
        n.style("display", keep ? "element" : "none");
      });
    });
    var shown = cy.nodes().filter(function (n) { return n.style("display") !== "none"; });
    app.setAttribute("data-shown", String(shown.length));
    status.textContent = shown.length + " / " + cy.nodes().length;
    cy.fit(shown, 24);
  }
  function show(node) {
    info.textContent = "";
    var h = document.createElement("h2");
    h.textContent = node.data("full");
    var kind = document.createElement("p");
    kind.className = "muted";
    kind.textContent = kindName(node.data("kind"));
    info.appendChild(h);
    info.appendChild(kind);
    if (node.data("page")) {
      var a = document.createElement("a");
      a.href = node.data("page");
      a.textContent = app.getAttribute("data-open") || "→";
      a.setAttribute("data-open-page", "");
      info.appendChild(a);
    }
  }
  function expand(node) {
    var url = app.getAttribute("data-neighbours") + "?iri=" + encodeURIComponent(node.id());
    return fetch(url, {headers: {Accept: "application/json"}}).then(function (r) {
      if (!r.ok) { throw new Error("neighbours: " + r.status); }
      return r.json();
    }).then(function (near) {
      var added = add(near.nodes, near.edges);
      added.nodes().forEach(function (n) { n.position({x: node.position("x") + (Math.random() - 0.5) * 80,
                                                        y: node.position("y") + (Math.random() - 0.5) * 80}); });
      node.data("expanded", true);
      if (added.length) { layout(false); }
      applyFilters();
      cy.elements().removeClass("near");
      node.closedNeighborhood().addClass("near");
      app.setAttribute("data-expanded", node.id());
    });
  }
  function find(text) {
    text = text.trim().toLowerCase();
    if (!text) { return; }
    var hit = data.index.filter(function (n) { return (n.label || "").toLowerCase() === text; })[0]
      || data.index.filter(function (n) { return (n.label || "").toLowerCase().indexOf(text) >= 0; })[0];
    if (!hit) { status.textContent = "0"; return; }
    var node = cy.getElementById(hit.id);
    var ready = Promise.resolve();
    if (node.empty()) {
      add([{id: hit.id, kind: hit.kind, label: hit.label, programmes: [], themes: [], page: null}], []);
      node = cy.getElementById(hit.id);
      ready = expand(node);
    }
    ready.then(function () {
      form.programme.value = ""; form.theme.value = "";
      applyFilters();
      cy.$(":selected").unselect();
      node.select();
      show(node);
      cy.animate({center: {eles: node}, zoom: Math.max(cy.zoom(), 1.2)}, {duration: 200});
      app.setAttribute("data-found", node.id());
    });
  }
  function fill(select, choices) {
    choices.forEach(function (c) {
      var option = document.createElement("option");
      option.value = c.id;
      option.textContent = c.short ? c.label + " (" + c.short + ")" : c.label;
      select.appendChild(option);
    });
  }
  function start() {
    app.hidden = false;
    fill(form.programme, data.programmes);
    fill(form.theme, data.themes);
    var kinds = form.querySelector(".network-kinds div");
    data.kinds.forEach(function (kind) {
      var label = document.createElement("label"), box = document.createElement("input");
      box.type = "checkbox"; box.name = "kind"; box.value = kind; box.checked = true;
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + kindName(kind)));
      kinds.appendChild(label);
    });
    var list = document.getElementById("network-index");
    data.index.forEach(function (n) {
      var option = document.createElement("option");
      option.value = n.label || n.id;
      list.appendChild(option);
    });
    var style = [
      {selector: "node", style: {"label": "data(name)", "font-size": 14, "text-valign": "bottom", "text-margin-y": 3,
        "text-wrap": "wrap", "text-max-width": 120, "color": "#222", "text-outline-color": "#fff", "text-outline-width": 2,
        "width": 14, "height": 14, "min-zoomed-font-size": 7}},
      {selector: "node[kind='programme']", style: {"width": 30, "height": 30, "font-size": 17, "font-weight": "bold",
        "color": "#1f4e99", "text-max-width": 200}},
      {selector: "node[kind='pairing']", style: {"font-size": 12, "color": "#6b4400", "width": 12, "height": 12,
        "min-zoomed-font-size": 9}},
      {selector: "node:selected", style: {"border-width": 3, "border-color": "#000"}},
      {selector: "edge", style: {"width": 1.2, "line-color": "#b8b8b8", "curve-style": "haystack"}},
      {selector: "edge.near", style: {"line-color": "#333", "width": 2}}
    ];
    Object.keys(COLOURS).forEach(function (kind) {
      style.push({selector: "node[kind='" + kind + "']",
                  style: {"background-color": COLOURS[kind], "shape": SHAPES[kind] || "ellipse"}});
    });
    cy = window.cytoscape({container: app.querySelector("[data-network-canvas]"), style: style,
                           minZoom: 0.2, maxZoom: 4});
    add(data.nodes, data.edges);
    cy.nodes().forEach(function (n, i) {
      n.position({x: 300 * Math.cos(i), y: 300 * Math.sin(i)});
    });
    layout(true);
    applyFilters();
    cy.on("tap", "node", function (event) {
      var node = event.target;
      show(node);
      if (!node.data("expanded")) { expand(node); }
    });
    form.addEventListener("change", applyFilters);
    form.addEventListener("submit", function (event) { event.preventDefault(); find(form.q.value); });
    app.querySelector("[data-network-reset]").addEventListener("click", function () {
      cy.elements().remove();
      form.programme.value = ""; form.theme.value = "";
      add(data.nodes, data.edges);
      layout(true);
      applyFilters();
    });
    window.coopgraphNetwork = cy;
    app.setAttribute("data-ready", "");
  }
  fetch(app.getAttribute("data-src"), {headers: {Accept: "application/json"}})
    .then(function (r) { return r.json(); })
    .then(function (json) { data = json; start(); });
}());
