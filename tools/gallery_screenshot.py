"""Take figures/gallery.png: the first screen of figures/gallery.html in headless Chromium, with the sha256 of that
page in the PNG's text metadata, which `check_figures` (nbs/08_pipeline.ipynb) compares with the committed page.

Run it from the repository's root after `riscm_reproduce --preset demo` has rewritten figures/ (it needs Chromium:
`apt-get install chromium`):

    python tools/gallery_screenshot.py    # --page figures/gallery.html --png figures/gallery.png
"""
from riscm_paper.cli import call_parse  # argparse from the docments: the same with fastcore 1.x or 2.x

from riscm_paper.gallery import screenshot_gallery


@call_parse
def main(page:str='figures/gallery.html', # the gallery to photograph
         png:str=None, # where to write the screenshot; default: gallery.png beside the page
         exe:str=None, # the Chromium executable; default: chromium or chromium-browser on PATH
        ):
    "Photograph a gallery's first screen, recording the page's sha256 in the PNG."
    print(screenshot_gallery(page, png, exe))
