"""
Diagrams, persistence images and a scikit-learn classifier
==========================================================

scikit-learn's bundled 8×8 digits through ``CubicalPersistence`` (superlevel: the bright
strokes), ``PersistenceImage`` (ranges learnt by ``fit``) and a logistic regression.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

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
# The H1 persistence image of a few digits: a 0, an 8 and a 1.
images = pipe[:-1].transform(X_test[:60]).reshape(60, 2, 6, 6)
fig, axes = plt.subplots(1, 3, figsize=(9, 3))
for ax, digit in zip(axes, (0, 8, 1), strict=True):
    i = list(y_test[:60]).index(digit)
    ax.imshow(images[i, 1].T, origin="lower", cmap="viridis")
    ax.set_title(f"digit {digit}: H1 image")
    ax.set_xlabel("birth")
    ax.set_ylabel("persistence")
fig.tight_layout()
