package org.fx4j.detection.rcnn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import org.fx4j.nn.Scalars;

/**
 * torchvision's {@code det_utils.BoxCoder}: box regression deltas {@code (dx, dy, dw, dh)}, divided by
 * the weights, move a reference box's centre by {@code d * size} and scale its size by {@code exp(d)},
 * {@code dw} and {@code dh} clamped at {@code log(1000 / 16)}.
 */
public final class BoxCoder {

    /** torchvision's {@code bbox_xform_clip}: {@code log(1000 / 16)}. */
    public static final double DEFAULT_CLIP = Math.log(1000.0 / 16);

    private final double wx;
    private final double wy;
    private final double ww;
    private final double wh;
    private final double clip;

    /**
     * Creates a coder with torchvision's clip.
     *
     * @param wx weight of dx
     * @param wy weight of dy
     * @param ww weight of dw
     * @param wh weight of dh
     */
    public BoxCoder(double wx, double wy, double ww, double wh) {
        this.wx = wx;
        this.wy = wy;
        this.ww = ww;
        this.wh = wh;
        this.clip = DEFAULT_CLIP;
    }

    /**
     * Decodes deltas against reference boxes ({@code decode_single}).
     *
     * @param relCodes [K, 4 * C] deltas, C boxes per reference
     * @param boxes [K, 4] reference boxes
     * @return [K, C, 4] boxes
     */
    public NDArray decode(NDArray relCodes, NDArray boxes) {
        long k = relCodes.getShape().get(0);
        long perRow = relCodes.getShape().get(1);
        if (perRow % 4 != 0 || boxes.getShape().get(0) != k) {
            throw new IllegalArgumentException("BoxCoder.decode: " + relCodes.getShape() + " deltas for "
                    + boxes.getShape() + " boxes");
        }
        long c = perRow / 4;
        NDArray b = boxes.toType(relCodes.getDataType(), false);
        NDArray widths = b.get(":, 2").sub(b.get(":, 0"));
        NDArray heights = b.get(":, 3").sub(b.get(":, 1"));
        NDArray ctrX = b.get(":, 0").add(Scalars.mul(widths, 0.5));
        NDArray ctrY = b.get(":, 1").add(Scalars.mul(heights, 0.5));
        NDArray codes = relCodes.reshape(k, c, 4);
        NDArray dx = codes.get(":, :, 0").div(wx);
        NDArray dy = codes.get(":, :, 1").div(wy);
        NDArray dw = codes.get(":, :, 2").div(ww).minimum(clip);
        NDArray dh = codes.get(":, :, 3").div(wh).minimum(clip);
        NDArray w = widths.expandDims(1);
        NDArray h = heights.expandDims(1);
        NDArray predCtrX = dx.mul(w).add(ctrX.expandDims(1));
        NDArray predCtrY = dy.mul(h).add(ctrY.expandDims(1));
        NDArray halfW = Scalars.mul(dw.exp().mul(w), 0.5);
        NDArray halfH = Scalars.mul(dh.exp().mul(h), 0.5);
        return NDArrays.stack(new NDList(predCtrX.sub(halfW), predCtrY.sub(halfH), predCtrX.add(halfW),
                predCtrY.add(halfH)), 2);
    }

    /**
     * {@code encode_single}: the regression targets that move {@code proposals} onto {@code reference}
     * boxes, {@code (wx * dx / w, wy * dy / h, ww * log(gw / w), wh * log(gh / h))} per row, in the
     * reference boxes' type (the weights as that type, as torchvision's {@code as_tensor}).
     *
     * @param reference [K, 4] target boxes (x1, y1, x2, y2)
     * @param proposals [K, 4] boxes to encode
     * @return [K, 4] targets
     */
    public NDArray encode(NDArray reference, NDArray proposals) {
        if (reference.getShape().dimension() != 2 || reference.getShape().get(1) != 4
                || !reference.getShape().equals(proposals.getShape())) {
            throw new IllegalArgumentException("BoxCoder.encode: reference boxes " + reference.getShape()
                    + " and proposals " + proposals.getShape() + " must both be [K, 4]");
        }
        ai.djl.ndarray.types.DataType type = reference.getDataType();
        NDArray p = proposals.toType(type, false);
        NDArray exW = p.get(":, 2").sub(p.get(":, 0"));
        NDArray exH = p.get(":, 3").sub(p.get(":, 1"));
        NDArray exX = p.get(":, 0").add(Scalars.mul(exW, 0.5));
        NDArray exY = p.get(":, 1").add(Scalars.mul(exH, 0.5));
        NDArray gtW = reference.get(":, 2").sub(reference.get(":, 0"));
        NDArray gtH = reference.get(":, 3").sub(reference.get(":, 1"));
        NDArray gtX = reference.get(":, 0").add(Scalars.mul(gtW, 0.5));
        NDArray gtY = reference.get(":, 1").add(Scalars.mul(gtH, 0.5));
        NDManager m = reference.getManager();
        NDArray dx = gtX.sub(exX).mul(scalar(m, wx, type)).div(exW);
        NDArray dy = gtY.sub(exY).mul(scalar(m, wy, type)).div(exH);
        NDArray dw = gtW.div(exW).log().mul(scalar(m, ww, type));
        NDArray dh = gtH.div(exH).log().mul(scalar(m, wh, type));
        return NDArrays.stack(new NDList(dx, dy, dw, dh), 1);
    }

    private static NDArray scalar(NDManager manager, double v, ai.djl.ndarray.types.DataType type) {
        return manager.create(v).toType(type, false);
    }
}
