package org.fx4j.detection.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * torchvision's {@code ops.boxes} on (x1, y1, x2, y2) boxes: {@link #boxArea}, {@link #boxIou},
 * {@link #clipBoxesToImage}, {@link #removeSmallBoxes}, and the {@code [K, 5]} region format of
 * {@link RoIAlign}. Results are new arrays in the boxes' manager; the inputs are not changed.
 */
public final class BoxOps {

    private BoxOps() {}

    /**
     * {@code box_area}: {@code (x2 - x1) * (y2 - y1)}.
     *
     * @param boxes [N, 4]
     * @return [N]
     */
    public static NDArray boxArea(NDArray boxes) {
        checkBoxes(boxes, "box_area");
        NDArray w = boxes.get(":, 2").sub(boxes.get(":, 0"));
        NDArray h = boxes.get(":, 3").sub(boxes.get(":, 1"));
        return w.mul(h);
    }

    /**
     * {@code box_iou}: intersection over union of every pair, {@code inter / (area1 + area2 - inter)}.
     *
     * @param boxes1 [N, 4]
     * @param boxes2 [M, 4]
     * @return [N, M]
     */
    public static NDArray boxIou(NDArray boxes1, NDArray boxes2) {
        checkBoxes(boxes1, "box_iou");
        checkBoxes(boxes2, "box_iou");
        NDArray area1 = boxArea(boxes1);
        NDArray area2 = boxArea(boxes2);
        NDArray a = boxes1.expandDims(1);
        NDArray lt = a.get(":, :, :2").maximum(boxes2.get(":, :2"));
        NDArray rb = a.get(":, :, 2:").minimum(boxes2.get(":, 2:"));
        NDArray wh = rb.sub(lt).maximum(0);
        NDArray inter = wh.get(":, :, 0").mul(wh.get(":, :, 1"));
        NDArray union = area1.expandDims(1).add(area2).sub(inter);
        return inter.div(union);
    }

    /**
     * {@code clip_boxes_to_image}: x clamped to [0, width], y to [0, height].
     *
     * @param boxes [N, 4]
     * @param height image height
     * @param width image width
     * @return the clipped boxes [N, 4]
     */
    public static NDArray clipBoxesToImage(NDArray boxes, long height, long width) {
        checkBoxes(boxes, "clip_boxes_to_image");
        NDArray x = boxes.get(":, 0::2").clip(0, width);
        NDArray y = boxes.get(":, 1::2").clip(0, height);
        return NDArrays.stack(new NDList(x, y), 2).reshape(boxes.getShape());
    }

    /**
     * {@code remove_small_boxes}: the indices of the boxes whose width and height are both at least
     * {@code minSize}.
     *
     * @param boxes [N, 4]
     * @param minSize the smallest side kept
     * @return int64 indices, ascending
     */
    public static NDArray removeSmallBoxes(NDArray boxes, double minSize) {
        checkBoxes(boxes, "remove_small_boxes");
        NDArray w = boxes.get(":, 2").sub(boxes.get(":, 0"));
        NDArray h = boxes.get(":, 3").sub(boxes.get(":, 1"));
        NDArray keep = w.gte(minSize).logicalAnd(h.gte(minSize));
        return nonzero(keep);
    }

    /**
     * The indices where a boolean vector is true ({@code torch.where(mask)[0]}).
     *
     * @param mask a boolean [N] array
     * @return int64 indices, ascending
     */
    public static NDArray nonzero(NDArray mask) {
        if (mask.getShape().size() == 0) {
            return mask.getManager().zeros(new Shape(0), DataType.INT64, mask.getDevice());
        }
        return mask.nonzero().reshape(-1);
    }

    /**
     * Rows of an array by int64 indices ({@code x[idx]}).
     *
     * @param x the array
     * @param indices int64 [K]
     * @return the selected rows
     */
    public static NDArray select(NDArray x, NDArray indices) {
        return x.get(new NDIndex("{}", TorchOwned.forAutograd(indices))); // index_select keeps its indices
    }

    /**
     * {@code convert_boxes_to_roi_format}: per-image boxes to one [K, 5] array whose first column is
     * the image index.
     *
     * @param boxes one [L_i, 4] array per image, all of one floating type
     * @param manager owns the result
     * @return [sum L_i, 5]
     */
    public static NDArray toRoiFormat(List<NDArray> boxes, NDManager manager) {
        if (boxes.isEmpty()) {
            throw new IllegalArgumentException("roi_align needs boxes for at least one image");
        }
        NDList parts = new NDList();
        DataType type = boxes.get(0).getDataType();
        for (int i = 0; i < boxes.size(); i++) {
            NDArray b = boxes.get(i);
            checkBoxes(b, "roi_align");
            if (b.getDataType() != type) {
                throw new IllegalArgumentException("roi_align: boxes of image " + i + " are " + b.getDataType()
                        + ", those of image 0 " + type);
            }
            NDArray idx = manager.full(new Shape(b.getShape().get(0), 1), i, type, b.getDevice());
            parts.add(NDArrays.concat(new NDList(idx, b), 1));
        }
        NDArray out = NDArrays.concat(parts, 0);
        out.attach(manager);
        return out;
    }

    static void checkBoxes(NDArray boxes, String op) {
        Shape s = boxes.getShape();
        if (s.dimension() != 2 || s.get(1) != 4) {
            throw new IllegalArgumentException(op + " expects boxes of shape [N, 4] (x1, y1, x2, y2), got " + s);
        }
    }
}
