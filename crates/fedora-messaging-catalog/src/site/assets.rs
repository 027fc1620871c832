//! The site's stylesheet and its one script (the filter box); no framework, no network.

/// Colors meet WCAG AA contrast (4.5:1) on their backgrounds; focus is always visible.
pub(crate) const CSS: &str = r#"body { font: 16px/1.5 system-ui, sans-serif; color: #1a1a1a; background: #fff; margin: 0 auto; max-width: 75rem; padding: 0 1rem 3rem; }
a { color: #0b4f9c; }
a:focus, input:focus, pre:focus { outline: 3px solid #b35c00; outline-offset: 2px; }
.skip { position: absolute; left: -10000px; }
.skip:focus { position: static; }
header h1, main h1 { margin-bottom: 0.25rem; }
code, pre { font-family: ui-monospace, monospace; font-size: 0.9em; }
pre { background: #f4f4f4; border: 1px solid #ccc; padding: 0.75rem; overflow: auto; max-height: 40rem; }
table { border-collapse: collapse; width: 100%; margin: 1rem 0; }
caption { text-align: left; font-style: italic; color: #444; padding-bottom: 0.25rem; }
th, td { border-bottom: 1px solid #ccc; padding: 0.35rem 0.5rem; text-align: left; vertical-align: top; }
thead th { background: #e8eef6; }
tbody th { font-weight: normal; }
.filter { display: flex; gap: 0.75rem; align-items: center; flex-wrap: wrap; margin: 1rem 0; }
.filter label { font-weight: bold; }
.filter input { font-size: 1rem; padding: 0.35rem 0.5rem; min-width: 20rem; border: 1px solid #555; }
.filter p { margin: 0; color: #444; }
.deprecated { color: #8a1c1c; }
td.breaking { color: #8a1c1c; font-weight: bold; }
.summary { font-size: 1.1rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; }
.depth-1 { padding-left: 1.5rem; } .depth-2 { padding-left: 2.5rem; } .depth-3 { padding-left: 3.5rem; }
.depth-4 { padding-left: 4.5rem; } .depth-5 { padding-left: 5.5rem; } .depth-6 { padding-left: 6.5rem; }
nav { margin: 1rem 0; }
#messages td:nth-child(4), #messages td:nth-child(5) { white-space: nowrap; }
#messages td:last-child { min-width: 16rem; }
"#;

/// Narrows the index to the rows whose text holds every word typed.
pub(crate) const JS: &str = r##"(function () {
  "use strict";
  var input = document.getElementById("filter");
  var shown = document.getElementById("shown");
  var rows = Array.prototype.slice.call(document.querySelectorAll("#messages tbody tr"));
  function apply() {
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    rows.forEach(function (row) {
      var text = row.getAttribute("data-search");
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      row.hidden = !match;
      if (match) { count += 1; }
    });
    shown.textContent = count + (count === 1 ? " message shown" : " messages shown");
  }
  input.addEventListener("input", apply);
  apply();
}());
"##;
