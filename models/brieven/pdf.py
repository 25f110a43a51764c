"""HTML to PDF with WeasyPrint, loading only files we ship ourselves.

WeasyPrint fetches every URL an HTML names: images, stylesheets, and `rel="attachment"` links,
which it embeds in the PDF. The values in our HTML are escaped (templates/__init__.py), and
behind that this fetcher is a second wall: it serves stylesheets, images and fonts under
`templates/` and the exact files a caller names (the report's chart), and refuses everything
else: other files (the templates' source too), http(s), ftp and data: URLs. We produce no data:
URLs ourselves, so refusing them costs nothing and closes the route where an SVG in a data: URL
names further resources.
Fonts do not pass here: WeasyPrint reads the system fonts (DejaVu Sans) through fontconfig.
A refused fetch raises; WeasyPrint then leaves the resource out and logs a warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

TEMPLATE_MAP = Path(__file__).resolve().parents[2] / "templates"
BRONSOORTEN = frozenset({".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ttf", ".otf", ".woff", ".woff2"})


class GeweigerdeBron(ValueError):
    """A PDF asked for a resource that is not one of our own files."""


def eigen_bestand(url: str, bestanden: Iterable[Path] = ()) -> Path:
    """The local file `url` names, if it is a stylesheet, image or font under templates/ or one
    of `bestanden` (after resolving symlinks and '..'); else GeweigerdeBron."""
    delen = urlsplit(url)
    if delen.scheme != "file" or delen.netloc not in ("", "localhost"):
        raise GeweigerdeBron(f"alleen eigen bestanden, geen {delen.scheme or 'relatieve'}-adressen")
    pad = Path(url2pathname(delen.path)).resolve()
    sjabloonbron = pad.is_relative_to(TEMPLATE_MAP) and pad.suffix.lower() in BRONSOORTEN
    if pad.is_file() and (sjabloonbron or pad in {b.resolve() for b in bestanden}):
        return pad
    raise GeweigerdeBron("dit bestand hoort niet bij de eigen sjablonen")


@lru_cache(maxsize=8)
def url_fetcher(eigen_bestanden: tuple[Path, ...] = ()):
    """A WeasyPrint URL fetcher that serves our template resources and `eigen_bestanden`, nothing
    else. Cached: letters share one (it keeps no state per fetch: no redirects)."""
    from weasyprint.urls import URLFetcher

    class EigenBestanden(URLFetcher):
        def fetch(self, url, headers=None):
            return super().fetch(eigen_bestand(url, eigen_bestanden).as_uri(), headers)

    return EigenBestanden(allowed_protocols=("file",), allow_redirects=False)


def maak_pdf(html: str, basis: Path, eigen_bestanden: Iterable[Path] = (), **opties) -> bytes:
    """Render `html` (relative URLs resolve against the folder `basis`) to PDF bytes."""
    from weasyprint import HTML

    fetcher = url_fetcher(tuple(eigen_bestanden))
    return HTML(string=html, base_url=str(basis), url_fetcher=fetcher).write_pdf(**opties)
