/** File formats fx4j reads and writes: NumPy {@code .npy} arrays. */
package org.fx4j.io;
