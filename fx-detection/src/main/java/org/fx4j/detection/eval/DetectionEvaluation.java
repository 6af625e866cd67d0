package org.fx4j.detection.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.fx4j.detection.data.CocoDataset;
import org.fx4j.detection.data.DetectionImages;
import org.fx4j.detection.data.MaskRle;
import org.fx4j.detection.rcnn.Detections;
import org.fx4j.detection.rcnn.GeneralizedRCNN;

/**
 * Runs a detection model over a {@link CocoDataset} and scores it with {@link CocoEvaluator}, as
 * torchvision's detection references do: each detection's label mapped back to its COCO category,
 * its box as [x, y, w, h], its mask thresholded at 0.5 and run-length encoded. The model is put in
 * evaluation mode for the run and left in the mode it was in.
 */
public final class DetectionEvaluation {

    /**
     * Box and (for models with masks) mask metrics.
     *
     * @param box the box metrics
     * @param mask the mask metrics, or null for a model without a mask branch or a dataset with
     *     annotations without segmentation (box AP only)
     * @param images the number of images evaluated
     */
    public record Result(CocoMetrics box, CocoMetrics mask, int images) {}

    private DetectionEvaluation() {}

    /**
     * Evaluates a model on a dataset.
     *
     * @param model the model (its class count must cover the dataset's labels)
     * @param dataset the dataset
     * @param manager a manager for the images (each image's arrays are freed after it)
     * @param progress called with the number of images done after each image, or null
     * @return the metrics
     * @throws IOException if an image cannot be read
     */
    public static Result evaluate(GeneralizedRCNN model, CocoDataset dataset, NDManager manager, IntConsumer progress)
            throws IOException {
        if (model.roiHeads().numClasses() < dataset.numClasses()) {
            throw new IllegalArgumentException("the model has " + model.roiHeads().numClasses() + " classes but the"
                    + " dataset needs " + dataset.numClasses() + " (its " + dataset.categories().size()
                    + " categories and the background)");
        }
        boolean masks = model.roiHeads().hasMask() && hasAllMasks(dataset);
        boolean training = model.isTraining();
        model.eval();
        List<CocoEvaluator.GroundTruth> truths = new ArrayList<>();
        List<CocoEvaluator.Detection> detections = new ArrayList<>();
        List<Long> imageIds = new ArrayList<>();
        try {
            int done = 0;
            for (CocoDataset.Image info : dataset.images()) {
                imageIds.add(info.id());
                for (CocoDataset.Annotation a : dataset.annotations(info.id())) {
                    truths.add(new CocoEvaluator.GroundTruth(info.id(), a.categoryId(), a.bbox(), a.area(), a.crowd(),
                            a.mask()));
                }
                try (NDManager m = manager.newSubManager()) {
                    NDArray image = DetectionImages.toArray(dataset.readPicture(info), m);
                    Detections d = model.detect(List.of(image)).get(0);
                    float[] boxes = d.boxes().toType(DataType.FLOAT32, false).toFloatArray();
                    long[] labels = d.labels().toLongArray();
                    float[] scores = d.scores().toType(DataType.FLOAT32, false).toFloatArray();
                    float[] pixels = masks ? d.masks().toType(DataType.FLOAT32, false).toFloatArray() : null;
                    int h = info.height();
                    int w = info.width();
                    for (int i = 0; i < labels.length; i++) {
                        if (labels[i] < 1 || labels[i] > dataset.categories().size()) {
                            continue; // a class the dataset does not have
                        }
                        double[] box = {boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2] - boxes[4 * i],
                                boxes[4 * i + 3] - boxes[4 * i + 1]};
                        MaskRle mask = masks ? MaskRle.encode(pixels, i * h * w, h, w, 0.5f) : null;
                        detections.add(new CocoEvaluator.Detection(info.id(),
                                dataset.category((int) labels[i]).id(), box, scores[i], mask));
                    }
                }
                done++;
                if (progress != null) {
                    progress.accept(done);
                }
            }
        } finally {
            if (training) {
                model.train();
            }
        }
        List<Long> categoryIds = dataset.categories().stream().map(CocoDataset.Category::id).toList();
        CocoMetrics box = CocoEvaluator.evaluate(truths, detections, CocoEvaluator.IouType.BBOX, imageIds, categoryIds);
        CocoMetrics mask = masks ? CocoEvaluator.evaluate(truths, detections, CocoEvaluator.IouType.SEGM, imageIds,
                categoryIds) : null;
        return new Result(box, mask, imageIds.size());
    }

    /**
     * Whether every annotation has a segmentation (mask AP needs them all).
     *
     * @param dataset the dataset
     * @return true if masks can be evaluated
     */
    public static boolean hasAllMasks(CocoDataset dataset) {
        for (CocoDataset.Image img : dataset.images()) {
            for (CocoDataset.Annotation a : dataset.annotations(img.id())) {
                if (a.mask() == null) {
                    return false;
                }
            }
        }
        return true;
    }
}
