"""
Plotting diagrams and barcodes
==============================

``topolayer.plot.diagram`` and ``plot.barcode`` draw any diagram (sublevel and superlevel,
essential bars at the top or bottom edge), and the forms other libraries produce.
"""

import matplotlib.pyplot as plt
import numpy as np
import torch

import topolayer as tl

torch.manual_seed(0)
img = torch.rand(24, 24)
sub = tl.functional.cubical(img, 1)
sup = tl.functional.cubical(img, 1, superlevel=True)

fig, axes = plt.subplots(2, 2, figsize=(9, 8))
tl.plot.diagram(sub, ax=axes[0, 0], title="sublevel diagram")
tl.plot.diagram(sup, ax=axes[0, 1], title="superlevel diagram (bars run downwards)")
tl.plot.barcode(sub, ax=axes[1, 0], title="sublevel barcode")
# A ripser.py-style list of arrays works too.
ripser_style = [np.array([[0.0, 0.4], [0.1, np.inf]]), np.array([[0.2, 0.5]])]
tl.plot.barcode(ripser_style, ax=axes[1, 1], title="from a ripser.py list")
fig.tight_layout()
