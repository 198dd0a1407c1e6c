// Journey pages: the retention heatmap's hover readout (also on keyboard focus).
(function () {
  function readout(cell) {
    var out = document.getElementById("heat-readout");
    if (out && cell) { out.textContent = cell.getAttribute("title"); }
  }
  document.addEventListener("mouseover", function (e) {
    var cell = e.target.closest && e.target.closest(".heatmap td.cell");
    if (cell) { readout(cell); }
  });
  document.addEventListener("focusin", function (e) {
    var cell = e.target.closest && e.target.closest(".heatmap td.cell");
    if (cell) { readout(cell); }
  });
})();
