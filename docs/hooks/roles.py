"""Sphinx roles in docstrings become links, so that the API sections read as prose.

The docstrings are written for ``help()`` and for the NumPy convention, with roles:
``:func:`train_rbm```, ``:class:`reference.dbn.HelmholtzMachine```, ``:data:`HIDDEN_LIMIT```.
mkdocstrings renders them as the role's name followed by code (":func:``train_rbm``"). This
hook turns each into a cross-reference that mkdocs-autorefs resolves across the site:

* a dotted name (``reference.rbm.train_rbm``) is the identifier itself;
* a bare name is looked up among the objects documented on the same page;
* a leading ``~`` shows only the last part of the name.

A private name (a part starting with ``_``) stays code, without a link: the API shows no
private objects; so do the module constants (``:data:``), which the API does not list, unless
they are documented. A function, class or module that is found nowhere fails the strict
build, as a broken link does.
"""

from __future__ import annotations

import logging
import re

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

ROLE = re.compile(
    r":(?P<kind>func|class|data|mod|meth|attr|obj|exc):<code>(?P<target>~?[A-Za-z_][\w.]*)</code>"
)
#: Roles whose targets the API may not list: linked where they are documented, else code.
LENIENT = {"data", "attr", "obj"}
DOCUMENTED = re.compile(r'id="(?P<identifier>(?:reference|numerics)(?:\.\w+)*)"')
log = logging.getLogger("mkdocs.hooks.roles")


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Replace each rendered role by an autorefs cross-reference (or by plain code)."""
    if ":<code>" not in html:
        return html
    here = {match.group("identifier") for match in DOCUMENTED.finditer(html)}

    def link(match: re.Match[str]) -> str:
        target = match.group("target")
        short = target.startswith("~")
        target = target.lstrip("~")
        title = target.rsplit(".", 1)[-1] if short else target
        lenient = match.group("kind") in LENIENT
        if any(part.startswith("_") for part in target.split(".")):
            return f"<code>{title}</code>"
        if target.split(".")[0] in ("reference", "numerics"):
            identifier = target
        else:
            found = sorted((i for i in here if i.endswith(f".{target}")), key=len)
            if not found and lenient:
                return f"<code>{title}</code>"
            if not found:
                log.warning(
                    "%s: the role's name %r is documented nowhere on the page; write its "
                    "full name (reference.module.name)",
                    page.file.src_uri,
                    target,
                )
                return f"<code>{title}</code>"
            identifier = found[0]
        optional = " optional" if lenient else ""
        return f'<autoref identifier="{identifier}"{optional}><code>{title}</code></autoref>'

    return ROLE.sub(link, html)
