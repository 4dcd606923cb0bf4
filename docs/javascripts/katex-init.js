// Render every formula that pymdownx.arithmatex marked, with the KaTeX the site ships.
// Errors are rendered in place (class "katex-error") rather than thrown, so that a reader
// sees which formula is wrong and the browser check can find it.
function renderFormulas(root) {
  root.querySelectorAll(".arithmatex").forEach((element) => {
    renderMathInElement(element, {
      delimiters: [
        { left: "\\(", right: "\\)", display: false },
        { left: "\\[", right: "\\]", display: true },
      ],
      throwOnError: false,
      errorColor: "#cc0000",  // the browser check looks for this colour
    });
  });
}

if (typeof document$ !== "undefined") {
  document$.subscribe(({ body }) => renderFormulas(body));
} else {
  document.addEventListener("DOMContentLoaded", () => renderFormulas(document.body));
}
