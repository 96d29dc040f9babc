// The service map: drag to pan, wheel or +/- to zoom, select a node (click or Enter) to
// highlight what it supports and what it relies on. No libraries; the SVG is the server's.
(function () {
  "use strict";
  var svg = document.getElementById("service-map");
  if (!svg) { return; }
  var box = svg.viewBox.baseVal;
  var full = { x: box.x, y: box.y, width: box.width, height: box.height };
  var edges = Array.prototype.slice.call(svg.querySelectorAll(".map-edge"));
  var nodes = Array.prototype.slice.call(svg.querySelectorAll(".map-node"));

  function zoom(factor, cx, cy) {
    var width = Math.min(full.width * 4, Math.max(200, box.width * factor));
    var height = width * (box.height / box.width);
    box.x = cx - (cx - box.x) * (width / box.width);
    box.y = cy - (cy - box.y) * (height / box.height);
    box.width = width;
    box.height = height;
  }
  function toMap(event) {
    var rect = svg.getBoundingClientRect();
    return {
      x: box.x + (event.clientX - rect.left) * (box.width / rect.width),
      y: box.y + (event.clientY - rect.top) * (box.height / rect.height)
    };
  }
  svg.addEventListener("wheel", function (event) {
    event.preventDefault();
    var at = toMap(event);
    zoom(event.deltaY > 0 ? 1.15 : 1 / 1.15, at.x, at.y);
  }, { passive: false });
  var drag = null;
  svg.addEventListener("pointerdown", function (event) {
    if (event.target.closest(".map-node")) { return; }
    drag = { x: event.clientX, y: event.clientY };
    svg.setPointerCapture(event.pointerId);
  });
  svg.addEventListener("pointermove", function (event) {
    if (!drag) { return; }
    var rect = svg.getBoundingClientRect();
    box.x -= (event.clientX - drag.x) * (box.width / rect.width);
    box.y -= (event.clientY - drag.y) * (box.height / rect.height);
    drag = { x: event.clientX, y: event.clientY };
  });
  svg.addEventListener("pointerup", function () { drag = null; });

  function select(node) {
    var id = node.getAttribute("data-ci");
    var near = {};
    near[id] = true;
    edges.forEach(function (edge) {
      var on = edge.getAttribute("data-up") === id || edge.getAttribute("data-down") === id;
      edge.classList.toggle("lit", on);
      if (on) { near[edge.getAttribute("data-up")] = near[edge.getAttribute("data-down")] = true; }
    });
    nodes.forEach(function (other) {
      var key = other.getAttribute("data-ci");
      other.classList.toggle("dim", !near[key]);
      other.classList.toggle("selected", key === id);
    });
    var status = document.getElementById("map-selection");
    if (status) { status.textContent = node.getAttribute("aria-label"); }
  }
  nodes.forEach(function (node) {
    node.addEventListener("click", function (event) {
      if (!event.target.closest("a")) { event.preventDefault(); select(node); }
    });
    node.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); select(node); }
    });
  });
  var controls = { "map-zoom-in": 1 / 1.3, "map-zoom-out": 1.3 };
  Object.keys(controls).forEach(function (id) {
    var button = document.getElementById(id);
    if (button) {
      button.addEventListener("click", function () {
        zoom(controls[id], box.x + box.width / 2, box.y + box.height / 2);
      });
    }
  });
  var reset = document.getElementById("map-reset");
  if (reset) {
    reset.addEventListener("click", function () {
      box.x = full.x; box.y = full.y; box.width = full.width; box.height = full.height;
      nodes.forEach(function (n) { n.classList.remove("dim", "selected"); });
      edges.forEach(function (e) { e.classList.remove("lit"); });
    });
  }
})();
