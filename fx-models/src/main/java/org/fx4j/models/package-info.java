/**
 * torchvision-faithful backbones (module structure, parameter names, defaults and initialisation of
 * torchvision 0.14): the ResNet family, and {@link org.fx4j.models.ModelRegistry}, the models by
 * torchvision name.
 */
package org.fx4j.models;
