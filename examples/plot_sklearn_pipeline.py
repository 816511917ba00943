"""
Diagrams, persistence images and a scikit-learn classifier
==========================================================

scikit-learn's bundled 8×8 digits through ``CubicalPersistence`` (superlevel: the bright
strokes appear first, so a loop of ink is an ``H1`` bar), ``PersistenceImage`` (ranges learnt
by ``fit``) and a logistic regression. The classifier sees only the persistence images: no
pixel reaches it.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

import topolayer as tl
from topolayer.sklearn import CubicalPersistence, PersistenceImage

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
pipe = make_pipeline(
    CubicalPersistence(max_dim=1, superlevel=True, image_shape=(8, 8), n_jobs=2),
    PersistenceImage(dims=(0, 1), resolution=6, sigma=1.0),
    LogisticRegression(max_iter=3000),
)
pipe.fit(X_train, y_train)
print(f"test accuracy from topology alone: {pipe.score(X_test, y_test):.3f} (chance: 0.1)")

# %%
# What the classifier sees: a 0 (one loop), an 8 (up to two loops, the lower one often
# closed by a single pixel at this resolution) and a 1 (no loop). Top: the digit; middle: its
# superlevel diagram (bars run downwards, from a bright pixel to a darker one); bottom: the
# ``H1`` persistence image, on the birth and persistence ranges ``fit`` learnt.
persistence, vectorise = pipe[0], pipe[1]
(b_lo, b_hi), (p_lo, p_hi) = vectorise.params_["ranges"][1]
fig, axes = plt.subplots(3, 3, figsize=(9, 9))
for col, digit in enumerate((0, 8, 1)):
    i = list(y_test).index(digit)
    dgm = persistence.transform(X_test[i : i + 1])[0]
    image = vectorise.transform([dgm]).reshape(2, 6, 6)[1]
    axes[0, col].imshow(X_test[i].reshape(8, 8), cmap="gray_r")
    axes[0, col].set_title(f"digit {digit}")
    axes[0, col].axis("off")
    tl.plot.diagram(dgm, ax=axes[1, col], title=f"diagram ({len(dgm[1])} H1 bar(s))")
    axes[2, col].imshow(
        image.T, origin="lower", cmap="viridis", extent=(b_lo, b_hi, p_lo, p_hi), aspect="auto"
    )
    axes[2, col].set_title("H1 persistence image")
    axes[2, col].set_xlabel("birth")
    axes[2, col].set_ylabel("persistence")
fig.tight_layout()
