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

// The search's previews are the pages' text, formulas included as TeX between \( and \):
// render them too, as each result is added to the list.
const MATH_IN_TEXT = {
  delimiters: [
    { left: "\\(", right: "\\)", display: false },
    { left: "\\[", right: "\\]", display: false },  // a preview is one line: no display maths
  ],
  throwOnError: false,
  errorColor: "#cc0000",
};
new MutationObserver((mutations) => {
  for (const mutation of mutations) {
    for (const node of mutation.addedNodes) {
      if (node.nodeType === Node.ELEMENT_NODE && node.closest(".md-search-result")) {
        renderMathInElement(node, MATH_IN_TEXT);
      }
    }
  }
}).observe(document.body, { childList: true, subtree: true });
