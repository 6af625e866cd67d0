/**
 * Files fx4j reads and writes: NumPy {@code .npy} arrays ({@link org.fx4j.io.Npy}), checks on the
 * paths a user names ({@link org.fx4j.io.InputFiles}: regular files only) and untrusted text made
 * printable in one message line ({@link org.fx4j.io.SafeText}).
 */
package org.fx4j.io;
