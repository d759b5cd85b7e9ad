/* coopgraph: small enhancements only; every page works without this file.
   Map: pointing at a place highlights its pairing lines. Network: pointing at a node
   highlights its connections and dims the rest. Written for this site (no library). */
(function () {
  "use strict";

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

  function highlightMap(svg) {
    var lines = svg.querySelectorAll("[data-a]");
    each(svg.querySelectorAll("[data-place]"), function (place) {
      var iri = place.getAttribute("data-place");
      function set(on) {
        each(lines, function (link) {
          if (link.getAttribute("data-a") === iri || link.getAttribute("data-b") === iri) {
            var path = link.querySelector(".line");
            if (path) { path.classList.toggle("active", on); }
          }
        });
      }
      ["mouseenter", "focus"].forEach(function (ev) { place.addEventListener(ev, function () { set(true); }); });
      ["mouseleave", "blur"].forEach(function (ev) { place.addEventListener(ev, function () { set(false); }); });
    });
  }

  function highlightNetwork(svg) {
    var edges = svg.querySelectorAll(".edge");
    var nodes = svg.querySelectorAll("[data-node]");
    each(nodes, function (node) {
      var iri = node.getAttribute("data-node");
      function set(on) {
        var near = {};
        near[iri] = true;
        each(edges, function (edge) {
          var a = edge.getAttribute("data-a"), b = edge.getAttribute("data-b");
          var hit = a === iri || b === iri;
          edge.classList.toggle("active", on && hit);
          if (hit) { near[a] = true; near[b] = true; }
        });
        each(nodes, function (other) {
          other.classList.toggle("dim", on && !near[other.getAttribute("data-node")]);
        });
      }
      ["mouseenter", "focus"].forEach(function (ev) { node.addEventListener(ev, function () { set(true); }); });
      ["mouseleave", "blur"].forEach(function (ev) { node.addEventListener(ev, function () { set(false); }); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    each(document.querySelectorAll("svg[data-map]"), highlightMap);
    each(document.querySelectorAll("svg[data-network]"), highlightNetwork);
  });
}());
