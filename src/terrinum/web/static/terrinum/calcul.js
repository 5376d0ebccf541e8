// A job's page (long siting run): reload it every few seconds while the job waits or runs,
// so its progress, then its result, appear without a click. Without JavaScript, the
// "Actualiser" link does the same.
(function () {
  var box = document.getElementById("calcul-en-cours");
  if (!box) return;
  window.setTimeout(function () { window.location.reload(); }, 3000);
})();
