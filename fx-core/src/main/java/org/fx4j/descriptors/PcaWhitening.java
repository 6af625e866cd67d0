package org.fx4j.descriptors;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * PCA whitening learned from a collection of descriptors (Radenović et al.'s "learned whitening"
 * without labels): centre on the collection's mean, project on the {@code dims} principal directions
 * of the covariance (population covariance, {@code X^T X / N} of the centred rows), divide each by
 * the square root of its variance, then L2-normalise ({@link #apply}). Frequent, correlated
 * directions (backgrounds, textures every image shares) are down-weighted, which usually helps
 * retrieval; the whitened descriptors of the collection itself have the identity covariance.
 */
public final class PcaWhitening {

    private static final String MAGIC = "FX4J-PCA-WHITENING";
    private static final int VERSION = 1;

    private final double[] mean;
    private final double[][] projection; // dims x input, rows e_k / sqrt(lambda_k)
    private final double[] variances;

    private PcaWhitening(double[] mean, double[][] projection, double[] variances) {
        this.mean = mean;
        this.projection = projection;
        this.variances = variances;
    }

    /**
     * Learns the whitening.
     *
     * @param descriptors the collection, one row per image, all of one length (not modified)
     * @param dims the output length, at most the input length and below the number of descriptors
     * @return the whitening
     * @throws IllegalArgumentException if the rows are ragged or non-finite, {@code dims} is out of
     *     range, or the collection has fewer than {@code dims} directions of non-zero variance
     */
    public static PcaWhitening fit(float[][] descriptors, int dims) {
        if (descriptors == null || descriptors.length == 0) {
            throw new IllegalArgumentException("PCA whitening needs descriptors to learn from; got none");
        }
        int n = descriptors.length;
        int c = descriptors[0].length;
        if (dims < 1 || dims > c) {
            throw new IllegalArgumentException("whitening to " + dims + " dimensions: choose 1.." + c
                    + " (the descriptors' length)");
        }
        if (dims > n - 1) {
            throw new IllegalArgumentException("whitening to " + dims + " dimensions needs at least " + (dims + 1)
                    + " descriptors (n descriptors span at most n - 1 directions); got " + n);
        }
        double[] mean = new double[c];
        for (int i = 0; i < n; i++) {
            if (descriptors[i] == null || descriptors[i].length != c) {
                throw new IllegalArgumentException("descriptor " + i + " has "
                        + (descriptors[i] == null ? "no" : Integer.toString(descriptors[i].length))
                        + " values; descriptor 0 has " + c);
            }
            for (int d = 0; d < c; d++) {
                if (!Float.isFinite(descriptors[i][d])) {
                    throw new IllegalArgumentException("descriptor " + i + " has a non-finite value");
                }
                mean[d] += descriptors[i][d];
            }
        }
        for (int d = 0; d < c; d++) {
            mean[d] /= n;
        }
        DMatrixRMaj cov = new DMatrixRMaj(c, c);
        double[] centred = new double[c];
        for (float[] row : descriptors) {
            for (int d = 0; d < c; d++) {
                centred[d] = row[d] - mean[d];
            }
            for (int a = 0; a < c; a++) {
                double va = centred[a];
                if (va == 0) {
                    continue;
                }
                int base = a * c;
                for (int b = a; b < c; b++) {
                    cov.data[base + b] += va * centred[b];
                }
            }
        }
        for (int a = 0; a < c; a++) {
            for (int b = a; b < c; b++) {
                double v = cov.data[a * c + b] / n;
                cov.data[a * c + b] = v;
                cov.data[b * c + a] = v;
            }
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(c, true, true);
        if (!eig.decompose(cov)) {
            throw new IllegalStateException("the covariance's eigendecomposition did not converge");
        }
        Integer[] order = new Integer[c];
        double[] values = new double[c];
        for (int k = 0; k < c; k++) {
            order[k] = k;
            values[k] = eig.getEigenvalue(k).getReal();
        }
        Arrays.sort(order, (a, b) -> Double.compare(values[b], values[a]));
        double largest = Math.max(values[order[0]], 0);
        double[][] projection = new double[dims][c];
        double[] variances = new double[dims];
        for (int k = 0; k < dims; k++) {
            double lambda = values[order[k]];
            if (!(lambda > largest * 1e-12) || largest == 0) {
                throw new IllegalArgumentException("the descriptors vary in only " + k + " independent directions;"
                        + " whiten to at most " + k + " dimensions (asked " + dims + ")");
            }
            DMatrixRMaj v = eig.getEigenVector(order[k]);
            double norm = 0;
            for (int d = 0; d < c; d++) {
                norm += v.data[d] * v.data[d];
            }
            double scale = 1 / (Math.sqrt(norm) * Math.sqrt(lambda));
            for (int d = 0; d < c; d++) {
                projection[k][d] = v.data[d] * scale;
            }
            variances[k] = lambda;
        }
        return new PcaWhitening(mean, projection, variances);
    }

    /** @return the input descriptors' length */
    public int inputDimension() {
        return mean.length;
    }

    /** @return the whitened descriptors' length */
    public int dims() {
        return projection.length;
    }

    /** @return the variances of the kept directions, largest first */
    public double[] variances() {
        return variances.clone();
    }

    /**
     * Centres and projects a descriptor, without the final normalisation.
     *
     * @param descriptor a descriptor of {@link #inputDimension()} values (not modified)
     * @return {@link #dims()} values
     * @throws IllegalArgumentException for a wrong length
     */
    public double[] project(float[] descriptor) {
        if (descriptor == null || descriptor.length != mean.length) {
            throw new IllegalArgumentException("the whitening was learned on descriptors of length " + mean.length
                    + "; got " + (descriptor == null ? "none" : Integer.toString(descriptor.length)));
        }
        double[] out = new double[projection.length];
        for (int k = 0; k < projection.length; k++) {
            double s = 0;
            double[] row = projection[k];
            for (int d = 0; d < mean.length; d++) {
                s += row[d] * (descriptor[d] - mean[d]);
            }
            out[k] = s;
        }
        return out;
    }

    /**
     * Whitens a descriptor: {@link #project}, then L2 normalisation.
     *
     * @param descriptor a descriptor of {@link #inputDimension()} values (not modified)
     * @return a unit vector of {@link #dims()} values (zero if the descriptor is the mean)
     */
    public float[] apply(float[] descriptor) {
        double[] p = project(descriptor);
        double sq = 0;
        for (double v : p) {
            sq += v * v;
        }
        double norm = Math.max(Math.sqrt(sq), Descriptors.NORM_EPS);
        float[] out = new float[p.length];
        for (int k = 0; k < p.length; k++) {
            out[k] = (float) (p[k] / norm);
        }
        return out;
    }

    /**
     * Writes the whitening (atomically).
     *
     * @param file the file
     * @throws IOException if writing fails
     */
    public void save(Path file) throws IOException {
        TaggedFiles.write(file, MAGIC, VERSION, out -> {
            out.writeInt(mean.length);
            out.writeInt(projection.length);
            for (double v : mean) {
                out.writeDouble(v);
            }
            for (int k = 0; k < projection.length; k++) {
                out.writeDouble(variances[k]);
                for (double v : projection[k]) {
                    out.writeDouble(v);
                }
            }
        });
    }

    /**
     * Reads a whitening written by {@link #save}.
     *
     * @param file the file
     * @return the whitening
     * @throws IOException naming the file if it is not a whitening, is truncated or inconsistent
     */
    public static PcaWhitening load(Path file) throws IOException {
        return TaggedFiles.read(file, MAGIC, VERSION, "an fx4j PCA whitening (written by PcaWhitening.save)",
                (in, size) -> {
                    int c = in.readInt();
                    int dims = in.readInt();
                    if (c < 1 || dims < 1 || dims > c || ((long) dims + 1) * (c + 1) * 8 > size) {
                        throw new IOException(file + " declares a " + c + " -> " + dims + " whitening that its "
                                + size + " bytes cannot hold");
                    }
                    double[] mean = new double[c];
                    for (int d = 0; d < c; d++) {
                        mean[d] = in.readDouble();
                    }
                    double[][] projection = new double[dims][c];
                    double[] variances = new double[dims];
                    for (int k = 0; k < dims; k++) {
                        variances[k] = in.readDouble();
                        for (int d = 0; d < c; d++) {
                            projection[k][d] = in.readDouble();
                        }
                    }
                    for (int k = 0; k < dims; k++) {
                        boolean finite = Double.isFinite(variances[k]) && variances[k] > 0;
                        for (int d = 0; d < c && finite; d++) {
                            finite = Double.isFinite(projection[k][d]) && (k > 0 || Double.isFinite(mean[d]));
                        }
                        if (!finite) {
                            throw new IOException(file + ": direction " + k + " has a non-finite value or a"
                                    + " variance that is not positive");
                        }
                    }
                    return new PcaWhitening(mean, projection, variances);
                });
    }
}
