/**
 * Checkpoints: a restricted reader of PyTorch {@code torch.save} files (zip and legacy formats),
 * safetensors and {@code .npz}, and strict, all-or-nothing loading into fx4j modules by state-dict key
 * ({@link org.fx4j.checkpoint.Checkpoints}).
 */
package org.fx4j.checkpoint;
