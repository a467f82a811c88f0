// Chat page behaviour beyond htmx attributes. No inline scripts (CSP script-src 'self').
(function () {
  "use strict";
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || form.id !== "ask-form") return;
    if (event.detail.successful && event.detail.xhr.status === 200) {
      var question = form.querySelector("textarea[name=question]");
      if (question) question.value = "";
      var error = document.getElementById("ask-error");
      if (error) error.textContent = "";
    }
  });
  // Enter sends, Shift+Enter adds a line.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target && target.id === "question" && event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      if (target.form && target.value.trim()) target.form.requestSubmit();
    }
  });
  // Clicking a checked sentence shows its supporting span in the source panel.
  document.addEventListener("click", function (event) {
    var sentence = event.target && event.target.closest && event.target.closest(".sentence[data-source]");
    if (!sentence || (event.target.closest && event.target.closest("a"))) return;
    document.querySelectorAll(".sentence.active").forEach(function (el) { el.classList.remove("active"); });
    sentence.classList.add("active");
    var url = sentence.getAttribute("data-source");
    if (window.htmx) {
      window.htmx.ajax("GET", url, {target: "#source-panel", swap: "innerHTML"});
    }
  });
  document.addEventListener("keydown", function (event) {
    var sentence = event.target && event.target.closest && event.target.closest(".sentence[data-source]");
    if (sentence && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      sentence.click();
    }
  });
  // Keep the newest answer in view while it streams.
  document.addEventListener("htmx:sseMessage", function (event) {
    var answer = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest(".exchange");
    if (answer) answer.scrollIntoView({block: "end"});
  });
})();
