/**
 * torchvision-faithful backbones (module structure, parameter names, defaults and initialisation of
 * torchvision 0.14): the ResNet family, DenseNet, MobileNetV2 and V3, EfficientNet B0-B7, RegNet X
 * and Y, VGG, ConvNeXt, Swin Transformer and Vision Transformer, and {@link
 * org.fx4j.models.ModelRegistry}, the models by torchvision name.
 */
package org.fx4j.models;
