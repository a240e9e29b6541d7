"""`%load_ext k8slab.magics`: the notebooks' name for the cell magics (k8slab.ui.magics); also
`lab.magics.global_options`, kubectl's options for every command."""

from k8slab.ui.magics import global_options, load_ipython_extension

__all__ = ["global_options", "load_ipython_extension"]
