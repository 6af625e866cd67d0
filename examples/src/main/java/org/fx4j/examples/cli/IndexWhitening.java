package org.fx4j.examples.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fx4j.descriptors.DescriptorIndex;
import org.fx4j.descriptors.PcaWhitening;

/**
 * The PCA whitening {@code fx index --whiten D} learns from an index's descriptors: saved next to the
 * index ({@code INDEX.whitening}), its SHA-256 recorded in the index's settings so that a stale or
 * foreign file is refused, and applied to the index and the queries by {@code fx search} and
 * {@code fx copies}.
 */
final class IndexWhitening {

    /** The setting with the whitening's output dimension. */
    static final String DIMS = "whiten";
    /** The setting with the SHA-256 of the whitening file. */
    static final String SHA256 = "whiten.sha256";

    private IndexWhitening() {}

    /**
     * The whitening file of an index.
     *
     * @param indexFile the index
     * @return {@code INDEX.whitening}
     */
    static Path fileOf(Path indexFile) {
        return indexFile.resolveSibling(indexFile.getFileName() + ".whitening");
    }

    /**
     * Learns the whitening from every descriptor of the index and saves it; records its digest in the
     * index (which the caller saves afterwards).
     *
     * @param index the index (its settings gain {@link #SHA256})
     * @param indexFile where the index is saved
     * @param dims the output dimension
     * @throws IOException if writing fails
     * @throws IllegalArgumentException if the index is too small for {@code dims}
     */
    static void fitAndSave(DescriptorIndex index, Path indexFile, int dims) throws IOException {
        if (dims > index.size() - 1 || dims > index.dimension()) {
            throw new IllegalArgumentException("--whiten " + dims + " needs more than " + dims + " indexed images and"
                    + " descriptors of at least " + dims + " values; the index has " + index.size() + " images of "
                    + index.dimension() + " values (unreadable images were skipped); index under another --out with"
                    + " a smaller --whiten");
        }
        float[][] all = new float[index.size()][];
        for (int i = 0; i < all.length; i++) {
            all[i] = index.descriptor(i);
        }
        Path file = fileOf(indexFile);
        PcaWhitening.fit(all, dims).save(file);
        index.putSetting(SHA256, DescriptorModel.sha256(file));
    }

    /**
     * Reads an index's whitening, if it was made with one.
     *
     * @param index the index
     * @param indexFile its file
     * @return the whitening, or null when the index has none
     * @throws IOException if the file is missing, unreadable or not the one the index recorded
     */
    static PcaWhitening load(DescriptorIndex index, Path indexFile) throws IOException {
        if (!index.settings().containsKey(DIMS)) {
            return null;
        }
        Path file = fileOf(indexFile);
        String recorded = index.settings().get(SHA256);
        if (!Files.isRegularFile(file) || recorded == null) {
            throw new IOException(indexFile + " was made with --whiten " + index.settings().get(DIMS) + " but its"
                    + " whitening " + file + " is missing or not yet learned (a run that ended early); run `fx index`"
                    + " again with the same flags, which learns it at the end");
        }
        String now = DescriptorModel.sha256(file);
        if (!now.equals(recorded)) {
            throw new IOException("the whitening " + file + " is not the one " + indexFile + " records (SHA-256 "
                    + now + ", recorded " + recorded + "); run `fx index` again with the same flags");
        }
        return PcaWhitening.load(file);
    }

    /**
     * The index to search: the whitened descriptors when there is a whitening.
     *
     * @param index the raw index
     * @param whitening its whitening, or null
     * @return {@code index} itself, or a whitened copy with the same identifiers
     */
    static DescriptorIndex searchable(DescriptorIndex index, PcaWhitening whitening) {
        if (whitening == null) {
            return index;
        }
        DescriptorIndex white = new DescriptorIndex(whitening.dims());
        for (int i = 0; i < index.size(); i++) {
            white.add(index.ids().get(i), whitening.apply(index.descriptor(i)));
        }
        return white;
    }
}
