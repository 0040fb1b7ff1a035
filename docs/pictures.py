"""Render the README's pictures from a results workbook, through LibreOffice Calc.

`make pictures` runs this on the worked example's results: `soffice --headless` converts
the workbook to PDF exactly as the test suite does, and `pdftoppm` renders the Summary
page, the supply-against-demand charts, the Coverage sheet's data bars, the Sectors
colour scale and the Guide to docs/images/. For the Changes picture it solves the worked
example again with its rank-1 project locked out, `--compare`d with the first results.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

IMAGES = Path(__file__).parent / "images"
EXAMPLE = Path(__file__).parents[1] / "inputs" / "example.xlsx"
DPI = 110


def _page_with(pdf: Path, text: str, *, first_word: str | None = None) -> int:
    """The first page whose text contains `text` (and begins with `first_word`, if given)."""
    pages = int(next(line.split()[-1] for line in subprocess.run(
        ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()
        if line.startswith("Pages:")))
    for page in range(1, pages + 1):
        found = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"],
                               capture_output=True, text=True, check=True).stdout
        words = " ".join(found.split())
        if text in words and (first_word is None or words.startswith(first_word)):
            return page
    raise SystemExit(f"no page of {pdf} shows '{text}'")


def _render(pdf: Path, page: int, name: str, crop: tuple[int, int, int, int]) -> None:
    x, y, width, height = crop
    subprocess.run(["pdftoppm", "-png", "-singlefile", "-r", str(DPI), "-f", str(page),
                    "-l", str(page), "-x", str(x), "-y", str(y), "-W", str(width),
                    "-H", str(height), str(pdf), str(IMAGES / name)], check=True)
    print(f"wrote {IMAGES / name}.png (page {page})")


def _pdf(workbook: Path, folder: str) -> Path:
    subprocess.run(["soffice", f"-env:UserInstallation=file://{folder}/profile",
                    "--headless", "--convert-to", "pdf", "--outdir", folder,
                    str(workbook)], check=True, capture_output=True)
    return Path(folder) / f"{workbook.stem}.pdf"


def _compared(workbook: Path, folder: str) -> Path:
    """The worked example with its rank-1 project locked out, solved with --compare."""
    import openpyxl

    first = openpyxl.load_workbook(workbook, read_only=True)["Selection"]["B2"].value
    book = openpyxl.load_workbook(EXAMPLE)
    ws = book["Projects"]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[header.index("project_id")].value == first:
            row[header.index("lock")].value = "out"
    edited = Path(folder) / "example-edited.xlsx"
    book.save(edited)
    target = Path(folder) / "example-compared.xlsx"
    subprocess.run([sys.executable, "-m", "portfolio", "solve", str(edited), "-o", str(target),
                    "--compare", str(workbook), "--rank", "none", "--no-frontier",
                    "--no-scenarios", "--no-sensitivity"], check=True, capture_output=True)
    return target


def main(workbook: Path) -> None:
    """Convert `workbook` to PDF and render the pictures."""
    for tool in ("soffice", "pdftoppm", "pdftotext", "pdfinfo"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (make libreoffice installs it)")
    IMAGES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        pdf = _pdf(workbook, folder)
        _render(pdf, _page_with(pdf, "At a glance"), "summary", (60, 60, 1150, 520))
        _render(pdf, _page_with(pdf, "magnets: supply against demand"), "supply", (0, 0, 1210, 935))
        _render(pdf, _page_with(pdf, "NdPr oxide", first_word="sector magnets"), "coverage",
                (60, 60, 1150, 560))
        _render(pdf, _page_with(pdf, "Summary", first_word="sheet"), "guide",
                (60, 60, 1150, 700))
        _render(pdf, _page_with(pdf, "budget cost by year against its limits"), "countries",
                (0, 0, 1210, 700))
        changed = _pdf(_compared(workbook, folder), folder)
        _render(changed, _page_with(changed, "withdrawn", first_word="section"), "changes",
                (60, 60, 1150, 420))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
