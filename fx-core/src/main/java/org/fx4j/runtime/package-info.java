/**
 * The process settings fx4j's speed depends on and a Java program cannot change once it runs: {@link
 * org.fx4j.runtime.MallocSettings} (glibc's allocator, set through environment variables at launch).
 */
package org.fx4j.runtime;
