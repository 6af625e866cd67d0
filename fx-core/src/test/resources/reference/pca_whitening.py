"""PCA whitening reference (numpy, float64).

usage: pca_whitening.py TRAIN.npy HELD_OUT.npy DIMS OUT.npy
Learns mean m and P = diag(lambda^-1/2) E^T from TRAIN's population covariance (top DIMS eigenpairs of
numpy.linalg.eigh), whitens HELD_OUT as P (y - m), L2-normalises the rows and saves their Gram matrix
(cosine similarities: independent of the eigenvectors' signs).
"""
import sys

import numpy as np

x = np.load(sys.argv[1]).astype(np.float64)
y = np.load(sys.argv[2]).astype(np.float64)
dims = int(sys.argv[3])
m = x.mean(axis=0)
xc = x - m
cov = xc.T @ xc / x.shape[0]
values, vectors = np.linalg.eigh(cov)
order = np.argsort(values)[::-1][:dims]
p = (vectors[:, order] / np.sqrt(values[order])).T
w = (y - m) @ p.T
w /= np.linalg.norm(w, axis=1, keepdims=True)
np.save(sys.argv[4], w @ w.T)
print("ok")
