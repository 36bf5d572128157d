// Links marked data-current-query carry the page's query string as it is now
// (htmx may have changed the filters since the page was rendered).
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a[data-current-query]");
  if (link) {
    link.search = window.location.search;
  }
});
