/** Inputs and pictures of the {@code fx} tool: image and tensor loading, feature-map grids. */
package org.fx4j.examples.io;
