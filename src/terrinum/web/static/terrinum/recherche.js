// Suggestions as you type, on top of a plain search form that works without JavaScript.
(function () {
  "use strict";
  var form = document.querySelector("form.recherche[data-suggestions]");
  if (!form || !window.fetch) return;
  var input = form.querySelector("input[name=q]");
  var list = form.querySelector("#suggestions");
  var status = form.querySelector("#suggestions-statut");
  var endpoint = form.getAttribute("data-suggestions");
  var timer = null;
  var lastQuery = "";
  function close() { list.hidden = true; list.innerHTML = ""; }

  var niveaux = { commune: "Commune", arrondissement: "Arrondissement", epci: "EPCI", departement: "Département", region: "Région", pays: "Pays" };


  function show(items) {
    list.innerHTML = "";
    items.forEach(function (t) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "/territoires/" + t.niveau + "/" + t.code + "/";
      a.textContent = t.nom + " ";
      var detail = document.createElement("span");
      detail.className = "detail";
      detail.textContent = "(" + niveaux[t.niveau] + " " + t.code + (t.departement && t.niveau !== "departement" ? ", dép. " + t.departement : "") + ")";
      a.appendChild(detail);
      li.appendChild(a);
      list.appendChild(li);
    });
    list.hidden = items.length === 0;
    status.textContent = items.length ? items.length + " suggestion(s) ; flèche bas pour les parcourir." : "Aucune suggestion.";
  }

  input.addEventListener("input", function () {
    var q = input.value.trim();
    clearTimeout(timer);
    if (q.length < 2) { close(); return; }
    timer = setTimeout(function () {
      lastQuery = q;
      fetch(endpoint + "?q=" + encodeURIComponent(q), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) { if (q === lastQuery) show(items); })
        .catch(close);
    }, 150);
  });

  form.addEventListener("keydown", function (e) {
    var links = Array.prototype.slice.call(list.querySelectorAll("a"));
    if (list.hidden || !links.length) return;
    var i = links.indexOf(document.activeElement);
    if (e.key === "ArrowDown") { e.preventDefault(); links[Math.min(i + 1, links.length - 1)].focus(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); if (i <= 0) input.focus(); else links[i - 1].focus(); }
    else if (e.key === "Escape") { close(); input.focus(); }
  });
})();
