/* The error summary, as the GOV.UK Design System's: it takes keyboard focus when the page loads (so
   screen readers announce it), and each of its links moves focus to the answer it names, scrolling
   that question's label or legend into view rather than leaving it just off the screen. */
(function () {
  "use strict";
  var summary = document.querySelector('[data-module="govuk-error-summary"]');
  if (!summary) {
    return;
  }
  summary.setAttribute("tabindex", "-1");
  summary.addEventListener("blur", function () {
    summary.removeAttribute("tabindex");
  });
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest('a[href^="#"]');
    var input = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!input) {
      return;
    }
    event.preventDefault();
    var fieldset = input.closest("fieldset");
    var caption = fieldset ? fieldset.querySelector("legend") : document.querySelector('label[for="' + input.id + '"]');
    (caption || input).scrollIntoView();
    input.focus({ preventScroll: true });
  });
})();
