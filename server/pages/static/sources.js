// Marks the passage an RFC 5147 fragment names (#char=start,end) in the source text. Positions
// count Unicode code points, as the build counted them; JavaScript strings count UTF-16 units.
(function () {
  "use strict";
  function units(text, points) {
    var unit = 0;
    for (var i = 0; i < points && unit < text.length; i++) {
      var code = text.charCodeAt(unit);
      unit += code >= 0xd800 && code <= 0xdbff ? 2 : 1;
    }
    return unit;
  }
  function markFragment() {
    var match = /^#char=(\d+)(?:,(\d+))?$/.exec(window.location.hash);
    var pre = document.getElementById("source-text");
    if (!match || !pre) return;
    var text = pre.textContent;
    var start = units(text, parseInt(match[1], 10));
    var end = units(text, parseInt(match[2] === undefined ? match[1] : match[2], 10));
    if (end < start) return;
    var mark = document.createElement("mark");
    mark.id = "passage";
    mark.textContent = text.slice(start, end);
    pre.textContent = "";
    pre.append(text.slice(0, start), mark, text.slice(end));
    mark.scrollIntoView({ block: "center" });
  }
  window.addEventListener("hashchange", markFragment);
  markFragment();
})();
