package org.fx4j.detection.ops;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import java.util.List;

/**
 * torchvision's {@code LevelMapper} (Feature Pyramid Network paper, eq. 1): a box of area {@code a}
 * goes to level {@code floor(canonicalLevel + log2(sqrt(a) / canonicalScale) + 1e-6)}, clamped to
 * {@code [kMin, kMax]}, returned relative to {@code kMin}.
 */
public final class LevelMapper {

    private final int kMin;
    private final int kMax;
    private final double canonicalScale;
    private final int canonicalLevel;
    private final double eps;

    /**
     * Creates the mapper.
     *
     * @param kMin the finest level
     * @param kMax the coarsest level
     * @param canonicalScale the box size mapped to {@code canonicalLevel} (224)
     * @param canonicalLevel its level (4)
     * @param eps added before the floor (1e-6)
     */
    public LevelMapper(int kMin, int kMax, double canonicalScale, int canonicalLevel, double eps) {
        this.kMin = kMin;
        this.kMax = kMax;
        this.canonicalScale = canonicalScale;
        this.canonicalLevel = canonicalLevel;
        this.eps = eps;
    }

    /**
     * Maps boxes to levels.
     *
     * @param boxes one [L_i, 4] array per image
     * @return int64 [sum L_i], levels counted from {@code kMin}
     */
    public NDArray levels(List<NDArray> boxes) {
        NDList areas = new NDList();
        for (NDArray b : boxes) {
            areas.add(BoxOps.boxArea(b));
        }
        NDArray s = (areas.size() == 1 ? areas.get(0) : NDArrays.concat(areas, 0)).sqrt();
        NDArray epsArray = s.getDataType() == DataType.FLOAT64 ? s.getManager().create(eps)
                : s.getManager().create((float) eps).toType(s.getDataType(), false);
        NDArray target = s.div(canonicalScale).log2().add(canonicalLevel).add(epsArray).floor().clip(kMin, kMax);
        return target.toType(DataType.INT64, false).sub(kMin);
    }

    /**
     * Returns the finest level.
     *
     * @return kMin
     */
    public int kMin() {
        return kMin;
    }

    /**
     * Returns the coarsest level.
     *
     * @return kMax
     */
    public int kMax() {
        return kMax;
    }
}
