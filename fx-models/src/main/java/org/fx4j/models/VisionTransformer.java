package org.fx4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.util.List;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.F;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.Init;
import org.fx4j.nn.Linear;
import org.fx4j.nn.Module;
import org.fx4j.nn.Sequential;
import org.fx4j.nn.SymInt;
import org.fx4j.nn.SymShape;

/**
 * torchvision's {@code VisionTransformer} (ViT-B/16, ViT-B/32; names, defaults and initialisation
 * of torchvision 0.14): {@code conv_proj} patchifies, a learned {@code class_token} is prepended,
 * the {@link TransformerEncoder} runs, and {@code heads.head} classifies the class token.
 *
 * <p>Its shape reads ({@code n, c, h, w = x.shape}, {@code h == image_size}, {@code torch._assert})
 * are {@link SymShape} / {@link SymInt} operations, recorded as torch.fx records them ({@code
 * getattr}, {@code getitem}, {@code eq}, {@code _assert}, ...), so the node lists equal
 * torchvision's (187 nodes for ViT-B/16) and the traced graph recomputes the sizes and checks the
 * image size for every input.
 */
public final class VisionTransformer extends Module {

    private final int imageSize;
    private final int patchSize;
    private final int hiddenDim;
    private final Conv2d convProj;
    private final Parameter classToken;
    private final TransformerEncoder encoder;
    private final Sequential heads;

    private VisionTransformer(int imageSize, int patchSize, int numLayers, int numHeads, int hiddenDim, int mlpDim) {
        this.imageSize = imageSize;
        this.patchSize = patchSize;
        this.hiddenDim = hiddenDim;
        int numClasses = 1000;
        convProj = register("conv_proj", Conv2d.builder().setInChannels(3).setOutChannels(hiddenDim)
                .setKernelSize(patchSize).optStride(patchSize).build());
        long fanIn = 3L * patchSize * patchSize;
        convProj.getWeight().setInitializer(Init.truncNormal((float) Math.sqrt(1.0 / fanIn)));
        convProj.getDirectParameters().get("bias").setInitializer(Init.constant(0f));
        classToken = registerParameter("class_token", new Shape(1, 1, hiddenDim), Init.constant(0f));
        int seqLength = (imageSize / patchSize) * (imageSize / patchSize) + 1;
        encoder = register("encoder", new TransformerEncoder(seqLength, numLayers, numHeads, hiddenDim, mlpDim, 0f, 0f));
        Linear head = new Linear(hiddenDim, numClasses);
        head.getDirectParameters().get("weight").setInitializer(Init.constant(0f));
        head.getDirectParameters().get("bias").setInitializer(Init.constant(0f));
        Sequential h = new Sequential();
        h.add("head", head);
        heads = register("heads", h);
    }

    /**
     * ViT-B/16: 224px images, 16px patches, 12 layers of width 768, 12 heads, MLP 3072.
     *
     * @return the model
     */
    public static VisionTransformer vitB16() {
        return new VisionTransformer(224, 16, 12, 12, 768, 3072);
    }

    /**
     * ViT-B/32: as ViT-B/16 with 32px patches.
     *
     * @return the model
     */
    public static VisionTransformer vitB32() {
        return new VisionTransformer(224, 32, 12, 12, 768, 3072);
    }

    /** {@inheritDoc} */
    @Override
    protected NDArray forward(ForwardContext ctx, NDArray x) {
        Shape4.check(x, 3, "VisionTransformer");
        SymInt[] nchw = SymShape.of(x).unpack(4);
        SymInt n = nchw[0];
        SymInt h = nchw[2];
        SymInt w = nchw[3];
        h.eq(imageSize).check("Wrong image height! Expected %d but got %d!", imageSize, h);
        w.eq(imageSize).check("Wrong image width! Expected %d but got %d!", imageSize, w);
        SymInt patchesH = h.floorDiv(patchSize);
        SymInt patchesW = w.floorDiv(patchSize);
        NDArray patches = convProj.call(ctx, x);
        NDArray tokens = F.reshape(patches, n, hiddenDim, patchesH.mul(patchesW));
        tokens = F.permute(tokens, 0, 2, 1);
        SymInt batch = SymShape.of(tokens).get(0);
        NDArray cls = F.expand(ctx.value(classToken, x.getDevice()), batch, -1, -1);
        NDArray seq = F.cat(List.of(cls, tokens), 1);
        seq = encoder.call(ctx, seq);
        NDArray first = F.getitem(seq, ":, 0");
        return heads.call(ctx, first);
    }
}
