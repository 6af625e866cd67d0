package org.fx4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;

/**
 * {@code torch.nn.Conv2d}: 2-D convolution over NCHW input with parameters {@code weight}
 * {@code [out, in/groups, kh, kw]} and optional {@code bias [out]}.
 */
public final class Conv2d extends LeafModule {

    private final int inChannels;
    private final int outChannels;
    private final Shape kernel;
    private final Shape stride;
    private final Shape padding;
    private final Shape dilation;
    private final int groups;
    private final Parameter weight;
    private final Parameter bias;

    private Conv2d(Builder b) {
        this.inChannels = b.inChannels;
        this.outChannels = b.outChannels;
        this.kernel = new Shape(b.kernel, b.kernel);
        this.stride = new Shape(b.stride, b.stride);
        this.padding = new Shape(b.padding, b.padding);
        this.dilation = new Shape(b.dilation, b.dilation);
        this.groups = b.groups;
        Shape w = new Shape(outChannels, inChannels / groups, b.kernel, b.kernel);
        this.weight = registerParameter("weight", w, Init.kaimingUniform(Math.sqrt(5)));
        this.bias = b.bias ? registerParameter("bias", new Shape(outChannels), Init.uniformBias(Init.fanIn(w))) : null;
    }

    /**
     * Returns a builder.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns the weight parameter.
     *
     * @return {@code weight}
     */
    public Parameter getWeight() {
        return weight;
    }

    /**
     * Returns the number of output channels.
     *
     * @return out channels
     */
    public int getOutChannels() {
        return outChannels;
    }

    /**
     * Returns the number of input channels.
     *
     * @return in channels
     */
    public int getInChannels() {
        return inChannels;
    }

    /**
     * Returns the kernel size.
     *
     * @return (height, width) of the kernel
     */
    public Shape getKernelSize() {
        return kernel;
    }

    /**
     * Returns the stride.
     *
     * @return (height, width) stride
     */
    public Shape getStride() {
        return stride;
    }

    /**
     * Returns the implicit zero padding.
     *
     * @return (height, width) padding
     */
    public Shape getPadding() {
        return padding;
    }

    /**
     * Returns the dilation.
     *
     * @return (height, width) dilation
     */
    public Shape getDilation() {
        return dilation;
    }

    /**
     * Returns the number of groups.
     *
     * @return groups
     */
    public int getGroups() {
        return groups;
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        checkInput(x);
        return convolve(x, weightValue(ctx, x.getDevice()), biasValue(ctx, x.getDevice()));
    }

    void checkInput(NDArray x) {
        if (x.getShape().dimension() != 4 || x.getShape().get(1) != inChannels) {
            throw new IllegalArgumentException(
                    "Conv2d(" + inChannels + ", " + outChannels + ") expects input of shape [N, " + inChannels
                            + ", H, W], got " + x.getShape());
        }
    }

    NDArray weightValue(ForwardContext ctx, ai.djl.Device device) {
        return ctx.value(weight, device);
    }

    /**
     * Returns whether the convolution adds a bias.
     *
     * @return true if it has a {@code bias} parameter
     */
    public boolean hasBias() {
        return bias != null;
    }

    NDArray biasValue(ForwardContext ctx, ai.djl.Device device) {
        return bias == null ? null : ctx.value(bias, device);
    }

    /** This layer's convolution with the given weight and bias (the folded ones of {@link ConvNormFolding}). */
    NDArray convolve(NDArray x, NDArray w, NDArray b) {
        return x.getNDArrayInternal().convolution(x, w, b, stride, padding, dilation, groups).singletonOrThrow();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Conv2d(" + inChannels + ", " + outChannels + ", kernel_size=" + kernel + ", stride=" + stride
                + ", padding=" + padding + (groups > 1 ? ", groups=" + groups : "")
                + (bias == null ? ", bias=False" : "") + ")";
    }

    /** Builds a {@link Conv2d}; {@code set*} are required, {@code opt*} have PyTorch's defaults. */
    public static final class Builder {
        private int inChannels = -1;
        private int outChannels = -1;
        private int kernel = -1;
        private int stride = 1;
        private int padding;
        private int dilation = 1;
        private int groups = 1;
        private boolean bias = true;

        private Builder() {}

        /**
         * Sets the input channels.
         *
         * @param v in channels
         * @return this builder
         */
        public Builder setInChannels(int v) {
            inChannels = v;
            return this;
        }

        /**
         * Sets the output channels.
         *
         * @param v out channels
         * @return this builder
         */
        public Builder setOutChannels(int v) {
            outChannels = v;
            return this;
        }

        /**
         * Sets the square kernel size.
         *
         * @param v kernel size
         * @return this builder
         */
        public Builder setKernelSize(int v) {
            kernel = v;
            return this;
        }

        /**
         * Sets the stride (default 1).
         *
         * @param v stride
         * @return this builder
         */
        public Builder optStride(int v) {
            stride = v;
            return this;
        }

        /**
         * Sets the zero padding (default 0).
         *
         * @param v padding
         * @return this builder
         */
        public Builder optPadding(int v) {
            padding = v;
            return this;
        }

        /**
         * Sets the dilation (default 1).
         *
         * @param v dilation
         * @return this builder
         */
        public Builder optDilation(int v) {
            dilation = v;
            return this;
        }

        /**
         * Sets the number of groups (default 1).
         *
         * @param v groups
         * @return this builder
         */
        public Builder optGroups(int v) {
            groups = v;
            return this;
        }

        /**
         * Sets whether a bias is learned (default true).
         *
         * @param v bias flag
         * @return this builder
         */
        public Builder optBias(boolean v) {
            bias = v;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @return the layer
         */
        public Conv2d build() {
            if (inChannels <= 0 || outChannels <= 0 || kernel <= 0) {
                throw new IllegalArgumentException(
                        "Conv2d needs positive in channels, out channels and kernel size; got in=" + inChannels
                                + ", out=" + outChannels + ", kernel=" + kernel);
            }
            if (stride <= 0 || padding < 0 || dilation <= 0 || groups <= 0) {
                throw new IllegalArgumentException(
                        "Conv2d needs stride > 0, padding >= 0, dilation > 0, groups > 0; got stride=" + stride
                                + ", padding=" + padding + ", dilation=" + dilation + ", groups=" + groups);
            }
            if (inChannels % groups != 0 || outChannels % groups != 0) {
                throw new IllegalArgumentException(
                        "Conv2d channels must be divisible by groups: in=" + inChannels + ", out=" + outChannels
                                + ", groups=" + groups);
            }
            return new Conv2d(this);
        }
    }
}
