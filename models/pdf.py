"""HTML to PDF with WeasyPrint, loading only files we ship ourselves.

WeasyPrint fetches every URL an HTML names: images, stylesheets, and `rel="attachment"` links,
which it embeds in the PDF. The values in our HTML are escaped (templates/__init__.py), and
behind that this fetcher is a second wall: it serves files under `templates/` (the letters'
stylesheet) and the exact files a caller names (the report's chart), and refuses everything
else: other files, http(s), ftp and data: URLs. We produce no data: URLs ourselves, so refusing
them costs nothing and closes the route where an SVG in a data: URL names further resources.
Fonts do not pass here: WeasyPrint reads the system fonts (DejaVu Sans) through fontconfig.
A refused fetch raises; WeasyPrint then leaves the resource out and logs a warning.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

TEMPLATE_MAP = Path(__file__).resolve().parent.parent / "templates"


class GeweigerdeBron(ValueError):
    """A PDF asked for a resource that is not one of our own files."""


def eigen_bestand(url: str, mappen: Iterable[Path], bestanden: Iterable[Path]) -> Path:
    """The local file `url` names, if it lies under one of `mappen` or is one of `bestanden`
    (both after resolving symlinks and '..'); else GeweigerdeBron."""
    delen = urlsplit(url)
    if delen.scheme != "file" or delen.netloc not in ("", "localhost"):
        raise GeweigerdeBron(f"alleen eigen bestanden, geen {delen.scheme or 'relatieve'}-adressen")
    pad = Path(url2pathname(delen.path)).resolve()
    if pad.is_file() and (pad in {b.resolve() for b in bestanden}
                          or any(pad.is_relative_to(m.resolve()) for m in mappen)):
        return pad
    raise GeweigerdeBron("dit bestand hoort niet bij de eigen sjablonen")


def url_fetcher(eigen_bestanden: Iterable[Path] = ()):
    """A WeasyPrint URL fetcher that serves templates/ and `eigen_bestanden`, nothing else."""
    from weasyprint.urls import URLFetcher

    bestanden = tuple(eigen_bestanden)

    class EigenBestanden(URLFetcher):
        def fetch(self, url, headers=None):
            pad = eigen_bestand(url, [TEMPLATE_MAP], bestanden)
            return super().fetch(pad.as_uri(), headers)

    return EigenBestanden(allowed_protocols=("file",), allow_redirects=False)


def maak_pdf(html: str, basis: Path, eigen_bestanden: Iterable[Path] = (), **opties) -> bytes:
    """Render `html` (relative URLs resolve against the folder `basis`) to PDF bytes."""
    from weasyprint import HTML

    return HTML(string=html, base_url=str(basis), url_fetcher=url_fetcher(eigen_bestanden)).write_pdf(**opties)
