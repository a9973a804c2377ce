// pipesim inside an iframe (`#…&embed` links): tells the host page how tall the content is, so
// the frame can be sized to fit it without scrollbars. The message, documented in README.md
// ("Embedding"), is {type: "pipesim:height", height: <CSS pixels>}, posted to window.parent.
// Only that number crosses to the host page; nothing the user pasted does.
(function () {
  "use strict";
  if (window.parent === window || !/[#&]embed(&|$)/.test(location.hash)) return;
  var last = -1;
  function send() {
    var root = document.querySelector(".embed") || document.body;
    var style = getComputedStyle(document.body);
    var height = Math.ceil(root.getBoundingClientRect().height +
      parseFloat(style.marginTop) + parseFloat(style.marginBottom));
    if (height !== last) {
      last = height;
      window.parent.postMessage({ type: "pipesim:height", height: height }, "*");
    }
  }
  var resize = new ResizeObserver(send);
  var watched = null;
  // The app draws `.embed` after its module starts, and redraws it on a new link: watch the
  // element that is there now.
  new MutationObserver(function () {
    var root = document.querySelector(".embed");
    if (root && root !== watched) {
      if (watched) resize.unobserve(watched);
      watched = root;
      resize.observe(root);
    }
    send();
  }).observe(document.body, { childList: true, subtree: true });
  window.addEventListener("hashchange", send);
  send();
})();
