/**
 * Training Mask R-CNN: {@link org.fx4j.detection.train.DetectionTrainer} (the loop, checkpoints,
 * resume, per-epoch evaluation), {@link org.fx4j.detection.train.SgdOptimizer}, {@link
 * org.fx4j.detection.train.LearningRateSchedule}, {@link org.fx4j.detection.train.TrainingOptions},
 * {@link org.fx4j.detection.train.DetectionModelSpec} (a model's configuration stored with its
 * weights) and {@link org.fx4j.detection.train.LearningCurve}.
 */
package org.fx4j.detection.train;
