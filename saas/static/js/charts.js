// Charts drawn with Chart.js from the data a page puts on its canvas (data-chart: JSON of {type, labels, datasets,
// y_max, y_label}); run on load and on every HTMX swap, so a fragment draws its charts as the whole page does.
(function () {
  var palette = ["#1f5fbf", "#157f3b", "#9a6700", "#b42318", "#6b4fbb", "#0e7c86"];

  function draw(canvas) {
    if (canvas.dataset.drawn || typeof Chart === "undefined") {
      return;
    }
    var spec = JSON.parse(canvas.dataset.chart);
    canvas.dataset.drawn = "1";
    var datasets = spec.datasets.map(function (set, i) {
      var colour = set.colour || palette[i % palette.length];
      return {
        label: set.label,
        data: set.data,
        borderColor: colour,
        backgroundColor: spec.type === "bar" ? colour : colour + "33",
        spanGaps: false,
        tension: 0
      };
    });
    var y = {beginAtZero: true};
    if (spec.y_max !== undefined && spec.y_max !== null) {
      y.max = spec.y_max;
    }
    if (spec.type === "bar") {
      y.ticks = {precision: 0};  // bars count things: whole numbers on the axis
    }
    if (spec.y_label) {
      y.title = {display: true, text: spec.y_label};
    }
    new Chart(canvas, {
      type: spec.type || "line",
      data: {labels: spec.labels, datasets: datasets},
      options: {
        animation: false,
        maintainAspectRatio: false,
        scales: {y: y},
        plugins: {legend: {position: "bottom"}}
      }
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:load", function (event) { drawAll(event.target); });
})();
