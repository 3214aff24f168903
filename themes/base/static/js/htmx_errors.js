// What htmx does with an answer that is not a success, on the citizen site
// and in the console alike.
//
// The server answers a form it refuses with 400/413/422/429 and the same
// fragment carrying the errors next to the fields; htmx 2 by default swaps
// nothing on 4xx, so the citizen or clerk saw no error and the last success
// banner stayed on screen. The config (a <meta name="htmx-config"> in both
// base templates) swaps those. Anything else (403, 404, 5xx, a lost
// connection) has no fragment to show: this file says so in the page's alert
// region instead of staying silent.
(function () {
  "use strict";
  var MESSAGES = {
    403: "您没有执行此操作的权限。",
    404: "要操作的内容不存在或已被删除，请刷新页面。",
    409: "内容已被他人修改，请刷新页面后重试。"
  };
  function show(text) {
    var box = document.getElementById("request-error");
    if (!box) { window.alert(text); return; }
    box.textContent = text;
    box.hidden = false;
    box.focus();
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    show(MESSAGES[status] || ("操作未完成（服务器错误 " + status + "），您填写的内容未丢失，请稍后重试。"));
  });
  document.addEventListener("htmx:sendError", function () {
    show("网络连接失败，操作未完成。请检查网络后重试，您填写的内容未丢失。");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("request-error");
    if (box) box.hidden = true;
  });
})();
