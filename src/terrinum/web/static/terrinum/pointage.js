// Clicking the commune's map fills the longitude and latitude fields of the form, which work
// on their own without JavaScript (typed coordinates, or a lieu-dit).
(function () {
  "use strict";
  var svg = document.querySelector("svg.carte-pointage[data-georef]");
  var lon = document.getElementById("id_longitude");
  var lat = document.getElementById("id_latitude");
  if (!svg || !lon || !lat || !svg.createSVGPoint) return;
  var g = svg.getAttribute("data-georef").split(" ").map(Number);  // minx maxy kx ky offx offy
  var status = document.getElementById("pointage-statut");
  var marker = null;
  svg.style.cursor = "crosshair";
  svg.addEventListener("click", function (event) {
    var p = svg.createSVGPoint();
    p.x = event.clientX;
    p.y = event.clientY;
    var local = p.matrixTransform(svg.getScreenCTM().inverse());
    var longitude = g[0] + (local.x - g[4]) / g[2];
    var latitude = g[1] - (local.y - g[5]) / g[3];
    lon.value = longitude.toFixed(6);
    lat.value = latitude.toFixed(6);
    if (!marker) {
      marker = document.createElementNS("http://www.w3.org/2000/svg", "circle");
      marker.setAttribute("class", "point pointe");
      marker.setAttribute("r", "6");
      svg.appendChild(marker);
    }
    marker.setAttribute("cx", local.x);
    marker.setAttribute("cy", local.y);
    if (status) status.textContent = "Point placé : latitude " + lat.value + ", longitude " + lon.value + ".";
  });
})();
