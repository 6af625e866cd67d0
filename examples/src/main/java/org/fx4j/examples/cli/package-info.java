/** The {@code fx} command-line tool: {@code nodes}, {@code extract} and {@code demo}. */
package org.fx4j.examples.cli;
