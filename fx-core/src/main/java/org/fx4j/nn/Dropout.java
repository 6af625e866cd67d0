package org.fx4j.nn;

import ai.djl.ndarray.NDArray;

/**
 * {@code torch.nn.Dropout}: in training mode zeroes each element with probability {@code p} and
 * scales the rest by {@code 1/(1-p)} ({@code p = 1} gives zeros); identity in evaluation mode.
 */
public final class Dropout extends LeafModule {

    private volatile float p;

    /** Creates {@code Dropout(p=0.5)}. */
    public Dropout() {
        this(0.5f);
    }

    /**
     * Creates {@code Dropout(p)}.
     *
     * @param p the drop probability in [0, 1]
     */
    public Dropout(float p) {
        setProbability(p);
    }

    /**
     * Returns the drop probability.
     *
     * @return p
     */
    public float probability() {
        return p;
    }

    /**
     * Sets the drop probability, as assigning {@code dropout.p} in PyTorch ({@code 0} makes training
     * passes deterministic, for example to compare them with another implementation).
     *
     * @param p the drop probability in [0, 1]
     */
    public void setProbability(float p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("dropout probability has to be between 0 and 1, but got " + p);
        }
        this.p = p;
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        return x.getNDArrayInternal().dropout(x, p, ctx.isTraining()).singletonOrThrow();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Dropout(p=" + p + ")";
    }
}
