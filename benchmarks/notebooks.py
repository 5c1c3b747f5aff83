"""How long each notebook takes, run as a learner runs it: top to bottom, in a fresh Jupyter kernel.

Each notebook is executed in memory with nbclient (the file itself is left
as it is, without outputs), one after the other, and its wall-clock time is
printed with the last lines it printed, where its figures are (test
accuracy, PSNR, nats, MNIST score). ``--fast`` sets ``DEEPBASICS_FAST=1``,
the small mode that CI and the documentation build use; without it each
notebook does its full run. The processor, the library versions and the
BLAS thread count are printed first: the times mean nothing without them.

    OPENBLAS_NUM_THREADS=1 DEEPBASICS_DATA_DIR=../shared/data python benchmarks/notebooks.py --fast
    OPENBLAS_NUM_THREADS=1 DEEPBASICS_DATA_DIR=../shared/data python benchmarks/notebooks.py notebooks/chapter.ipynb
"""

import argparse
import os
import pathlib
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import machine  # noqa: E402  (this folder: the processor and library versions)

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(path, lastLines):
    """Execute the notebook at ``path`` from ``notebooks/``, as Jupyter would start it; return seconds and lines."""
    import nbformat
    from nbclient import NotebookClient
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(notebook, timeout=3600, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    seconds = time.perf_counter() - start
    printed = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.get("outputs", []) if output.get("output_type") == "stream")
    return seconds, printed.strip().splitlines()[-lastLines:]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path,
                        help="the notebooks to run (default: every notebook in notebooks/)")
    parser.add_argument("--fast", action="store_true", help="DEEPBASICS_FAST=1: small data and few epochs")
    parser.add_argument("--last", type=int, default=3, help="how many of each notebook's last printed lines to show")
    arguments = parser.parse_args()
    paths = arguments.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for path in paths:
        if not path.is_file():
            parser.error(f"{path} is not a notebook file")
    os.environ["DEEPBASICS_FAST"] = "1" if arguments.fast else "0"   # the kernels inherit it
    if "DEEPBASICS_DATA_DIR" in os.environ:   # the kernels start in notebooks/: keep the folder the user meant
        os.environ["DEEPBASICS_DATA_DIR"] = os.path.abspath(os.environ["DEEPBASICS_DATA_DIR"])
    print(f"On {machine()}; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}, "
          f"{'fast' if arguments.fast else 'full'} mode", flush=True)
    for path in paths:
        seconds, lines = run(path, arguments.last)
        print(f"{path.name}: {seconds:.1f} s", flush=True)
        for line in lines:
            print(f"    {line}", flush=True)


if __name__ == "__main__":
    main()
