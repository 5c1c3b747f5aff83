"""Toy data sets for trying ideas in seconds: four generated in 2-D, and Fisher's Iris.

Each function returns ``(x, labels)``: points ``x (n, features)`` and integer
class labels ``(n,)``; ``Dataset(name=...)`` turns the labels into one-hot rows
and splits train from test.

=========  ========  =======  ==================================================
name       features  classes  what the classes look like
=========  ========  =======  ==================================================
xor        2         2        four blobs at the corners of a square; diagonal
                              corners share a class (no line separates them)
spiral     2         3        arms winding out of the centre (``classes`` arms)
moons      2         2        two interleaving half circles
circles    2         2        a ring around a disc
iris       4         3        150 flowers, 4 measurements, 3 species
=========  ========  =======  ==================================================

The 2-D sets lie roughly in ``[-1.5, 1.5]^2``, centred on 0, so a network
needs no scaling to learn them. ``noise`` is the standard deviation of the
Gaussian jitter (for the spiral, of the angle in radians).

>>> import numpy as np
>>> x, labels = spiral(6, classes=3, rng=np.random.default_rng(0))
>>> x.shape, labels.tolist()
((6, 2), [0, 0, 1, 1, 2, 2])
"""

import io

import numpy as np

# Default noise of each generated set: enough to blur the edges, not the shape.
NOISE = {"xor": 0.2, "spiral": 0.2, "moons": 0.1, "circles": 0.05}
IRIS_SPECIES = ("setosa", "versicolor", "virginica")


def _split(n, classes):
    """Labels ``0, 0, ..., 1, 1, ...``: ``n`` samples in ``classes`` near-equal groups."""
    return (np.arange(n) * classes // n).astype(np.int64)


def xor(n, noise=NOISE["xor"], rng=None):
    """Blobs at the four corners ``(+-1, +-1)``; class 1 where the two signs differ.

    The classic problem a single layer cannot solve (Minsky and Papert): no
    straight line puts ``(1, 1)`` and ``(-1, -1)`` on one side and the other
    two corners on the other.
    """
    rng = np.random.default_rng() if rng is None else rng
    corners = rng.choice([-1.0, 1.0], size=(n, 2))
    labels = (corners[:, 0] != corners[:, 1]).astype(np.int64)
    return corners + noise * rng.normal(size=(n, 2)), labels


def spiral(n, classes=3, noise=NOISE["spiral"], rng=None):
    """``classes`` arms winding out of the centre, as in Stanford's CS231n notes.

    A point of arm ``k`` at radius ``r`` in ``[0, 1]`` lies at the angle
    ``2 pi k / classes + 4 r`` (plus noise): about two thirds of a turn per arm.
    """
    rng = np.random.default_rng() if rng is None else rng
    labels = _split(n, classes)
    radius = rng.uniform(0, 1, n)
    angle = 2 * np.pi * labels / classes + 4 * radius + noise * rng.normal(size=n)
    return np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]), labels


def moons(n, noise=NOISE["moons"], rng=None):
    """Two interleaving half circles, as scikit-learn's ``make_moons``, centred on 0."""
    rng = np.random.default_rng() if rng is None else rng
    labels = _split(n, 2)
    angle = rng.uniform(0, np.pi, n)
    upper = np.column_stack([np.cos(angle), np.sin(angle)])
    lower = np.column_stack([1 - np.cos(angle), 0.5 - np.sin(angle)])
    x = np.where(labels[:, np.newaxis] == 0, upper, lower) - [0.5, 0.25]
    return x + noise * rng.normal(size=(n, 2)), labels


def circles(n, noise=NOISE["circles"], rng=None):
    """A ring of radius 1 (class 0) around a ring of radius 0.5 (class 1)."""
    rng = np.random.default_rng() if rng is None else rng
    labels = _split(n, 2)
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(labels == 0, 1.0, 0.5)
    x = radius[:, np.newaxis] * np.column_stack([np.cos(angle), np.sin(angle)])
    return x + noise * rng.normal(size=(n, 2)), labels


GENERATORS = {"xor": xor, "spiral": spiral, "moons": moons, "circles": circles}


def iris():
    """Fisher's 150 Iris flowers: measurements ``(150, 4)`` in cm and species ``(150,)`` as 0, 1, 2.

    The columns are sepal length, sepal width, petal length and petal width;
    the species are ``IRIS_SPECIES``, 50 flowers each, in that order. The
    table is the corrected one that scikit-learn ships (two rows of the old
    UCI file differ from Fisher's paper); ``IRIS_SHA256`` is the checksum of
    ``IRIS_CSV``, which the tests verify.
    It lives in this module because flat modules install no data files.
    """
    rows = np.genfromtxt(io.StringIO(IRIS_CSV), delimiter=",", skip_header=1, dtype=str)
    labels = np.array([IRIS_SPECIES.index(species) for species in rows[:, 4]], dtype=np.int64)
    return rows[:, :4].astype(np.float64), labels


IRIS_SHA256 = "b6b8efc86732bc48c9fbddba53e2c191fd4f263c0ee98e2b1b7d3543e8d2121d"
# The 150 rows with their header, byte for byte the file whose SHA-256 is IRIS_SHA256.
IRIS_CSV = """sepal_length_cm,sepal_width_cm,petal_length_cm,petal_width_cm,species
5.1,3.5,1.4,0.2,setosa
4.9,3.0,1.4,0.2,setosa
4.7,3.2,1.3,0.2,setosa
4.6,3.1,1.5,0.2,setosa
5.0,3.6,1.4,0.2,setosa
5.4,3.9,1.7,0.4,setosa
4.6,3.4,1.4,0.3,setosa
5.0,3.4,1.5,0.2,setosa
4.4,2.9,1.4,0.2,setosa
4.9,3.1,1.5,0.1,setosa
5.4,3.7,1.5,0.2,setosa
4.8,3.4,1.6,0.2,setosa
4.8,3.0,1.4,0.1,setosa
4.3,3.0,1.1,0.1,setosa
5.8,4.0,1.2,0.2,setosa
5.7,4.4,1.5,0.4,setosa
5.4,3.9,1.3,0.4,setosa
5.1,3.5,1.4,0.3,setosa
5.7,3.8,1.7,0.3,setosa
5.1,3.8,1.5,0.3,setosa
5.4,3.4,1.7,0.2,setosa
5.1,3.7,1.5,0.4,setosa
4.6,3.6,1.0,0.2,setosa
5.1,3.3,1.7,0.5,setosa
4.8,3.4,1.9,0.2,setosa
5.0,3.0,1.6,0.2,setosa
5.0,3.4,1.6,0.4,setosa
5.2,3.5,1.5,0.2,setosa
5.2,3.4,1.4,0.2,setosa
4.7,3.2,1.6,0.2,setosa
4.8,3.1,1.6,0.2,setosa
5.4,3.4,1.5,0.4,setosa
5.2,4.1,1.5,0.1,setosa
5.5,4.2,1.4,0.2,setosa
4.9,3.1,1.5,0.2,setosa
5.0,3.2,1.2,0.2,setosa
5.5,3.5,1.3,0.2,setosa
4.9,3.6,1.4,0.1,setosa
4.4,3.0,1.3,0.2,setosa
5.1,3.4,1.5,0.2,setosa
5.0,3.5,1.3,0.3,setosa
4.5,2.3,1.3,0.3,setosa
4.4,3.2,1.3,0.2,setosa
5.0,3.5,1.6,0.6,setosa
5.1,3.8,1.9,0.4,setosa
4.8,3.0,1.4,0.3,setosa
5.1,3.8,1.6,0.2,setosa
4.6,3.2,1.4,0.2,setosa
5.3,3.7,1.5,0.2,setosa
5.0,3.3,1.4,0.2,setosa
7.0,3.2,4.7,1.4,versicolor
6.4,3.2,4.5,1.5,versicolor
6.9,3.1,4.9,1.5,versicolor
5.5,2.3,4.0,1.3,versicolor
6.5,2.8,4.6,1.5,versicolor
5.7,2.8,4.5,1.3,versicolor
6.3,3.3,4.7,1.6,versicolor
4.9,2.4,3.3,1.0,versicolor
6.6,2.9,4.6,1.3,versicolor
5.2,2.7,3.9,1.4,versicolor
5.0,2.0,3.5,1.0,versicolor
5.9,3.0,4.2,1.5,versicolor
6.0,2.2,4.0,1.0,versicolor
6.1,2.9,4.7,1.4,versicolor
5.6,2.9,3.6,1.3,versicolor
6.7,3.1,4.4,1.4,versicolor
5.6,3.0,4.5,1.5,versicolor
5.8,2.7,4.1,1.0,versicolor
6.2,2.2,4.5,1.5,versicolor
5.6,2.5,3.9,1.1,versicolor
5.9,3.2,4.8,1.8,versicolor
6.1,2.8,4.0,1.3,versicolor
6.3,2.5,4.9,1.5,versicolor
6.1,2.8,4.7,1.2,versicolor
6.4,2.9,4.3,1.3,versicolor
6.6,3.0,4.4,1.4,versicolor
6.8,2.8,4.8,1.4,versicolor
6.7,3.0,5.0,1.7,versicolor
6.0,2.9,4.5,1.5,versicolor
5.7,2.6,3.5,1.0,versicolor
5.5,2.4,3.8,1.1,versicolor
5.5,2.4,3.7,1.0,versicolor
5.8,2.7,3.9,1.2,versicolor
6.0,2.7,5.1,1.6,versicolor
5.4,3.0,4.5,1.5,versicolor
6.0,3.4,4.5,1.6,versicolor
6.7,3.1,4.7,1.5,versicolor
6.3,2.3,4.4,1.3,versicolor
5.6,3.0,4.1,1.3,versicolor
5.5,2.5,4.0,1.3,versicolor
5.5,2.6,4.4,1.2,versicolor
6.1,3.0,4.6,1.4,versicolor
5.8,2.6,4.0,1.2,versicolor
5.0,2.3,3.3,1.0,versicolor
5.6,2.7,4.2,1.3,versicolor
5.7,3.0,4.2,1.2,versicolor
5.7,2.9,4.2,1.3,versicolor
6.2,2.9,4.3,1.3,versicolor
5.1,2.5,3.0,1.1,versicolor
5.7,2.8,4.1,1.3,versicolor
6.3,3.3,6.0,2.5,virginica
5.8,2.7,5.1,1.9,virginica
7.1,3.0,5.9,2.1,virginica
6.3,2.9,5.6,1.8,virginica
6.5,3.0,5.8,2.2,virginica
7.6,3.0,6.6,2.1,virginica
4.9,2.5,4.5,1.7,virginica
7.3,2.9,6.3,1.8,virginica
6.7,2.5,5.8,1.8,virginica
7.2,3.6,6.1,2.5,virginica
6.5,3.2,5.1,2.0,virginica
6.4,2.7,5.3,1.9,virginica
6.8,3.0,5.5,2.1,virginica
5.7,2.5,5.0,2.0,virginica
5.8,2.8,5.1,2.4,virginica
6.4,3.2,5.3,2.3,virginica
6.5,3.0,5.5,1.8,virginica
7.7,3.8,6.7,2.2,virginica
7.7,2.6,6.9,2.3,virginica
6.0,2.2,5.0,1.5,virginica
6.9,3.2,5.7,2.3,virginica
5.6,2.8,4.9,2.0,virginica
7.7,2.8,6.7,2.0,virginica
6.3,2.7,4.9,1.8,virginica
6.7,3.3,5.7,2.1,virginica
7.2,3.2,6.0,1.8,virginica
6.2,2.8,4.8,1.8,virginica
6.1,3.0,4.9,1.8,virginica
6.4,2.8,5.6,2.1,virginica
7.2,3.0,5.8,1.6,virginica
7.4,2.8,6.1,1.9,virginica
7.9,3.8,6.4,2.0,virginica
6.4,2.8,5.6,2.2,virginica
6.3,2.8,5.1,1.5,virginica
6.1,2.6,5.6,1.4,virginica
7.7,3.0,6.1,2.3,virginica
6.3,3.4,5.6,2.4,virginica
6.4,3.1,5.5,1.8,virginica
6.0,3.0,4.8,1.8,virginica
6.9,3.1,5.4,2.1,virginica
6.7,3.1,5.6,2.4,virginica
6.9,3.1,5.1,2.3,virginica
5.8,2.7,5.1,1.9,virginica
6.8,3.2,5.9,2.3,virginica
6.7,3.3,5.7,2.5,virginica
6.7,3.0,5.2,2.3,virginica
6.3,2.5,5.0,1.9,virginica
6.5,3.0,5.2,2.0,virginica
6.2,3.4,5.4,2.3,virginica
5.9,3.0,5.1,1.8,virginica
"""
