"""Render the README's pictures from a results workbook, through LibreOffice Calc.

`make pictures` runs this on the worked example's results: `soffice --headless` converts
the workbook to PDF exactly as the test suite does, and `pdftoppm` renders the Summary
page and the page holding the supply-against-demand charts to docs/images/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

IMAGES = Path(__file__).parent / "images"
DPI = 110


def _page_with(pdf: Path, text: str) -> int:
    """The first page whose text contains `text`."""
    pages = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
        if line.startswith("Pages:")))
    for page in range(1, pages + 1):
        found = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                               capture_output=True, text=True, check=True).stdout
        if text in " ".join(found.split()):
            return page
    raise SystemExit(f"no page of {pdf} shows '{text}'")


def _render(pdf: Path, page: int, name: str, crop: tuple[int, int, int, int]) -> None:
    x, y, width, height = crop
    subprocess.run(["pdftoppm", "-png", "-singlefile", "-r", str(DPI), "-f", str(page),
                    "-l", str(page), "-x", str(x), "-y", str(y), "-W", str(width),
                    "-H", str(height), str(pdf), str(IMAGES / name)], check=True)
    print(f"wrote {IMAGES / name}.png (page {page})")


def main(workbook: Path) -> None:
    """Convert `workbook` to PDF and render the pictures."""
    for tool in ("soffice", "pdftoppm", "pdftotext", "pdfinfo"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (make libreoffice installs it)")
    IMAGES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["soffice", f"-env:UserInstallation=file://{folder}/profile",
                        "--headless", "--convert-to", "pdf", "--outdir", folder,
                        str(workbook)], check=True, capture_output=True)
        pdf = Path(folder) / f"{workbook.stem}.pdf"
        _render(pdf, _page_with(pdf, "At a glance"), "summary", (60, 60, 1150, 520))
        _render(pdf, _page_with(pdf, "magnets: supply against demand"), "supply", (0, 0, 1210, 935))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
