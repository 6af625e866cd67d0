package org.fx4j.checkpoint;

import java.io.IOException;

/**
 * A checkpoint could not be read or loaded. The message names the file (or the model) and what was
 * wrong: a truncated or corrupt file, a refused pickle global, missing, unexpected or mis-shaped keys.
 */
public class CheckpointException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was wrong and what to do
     */
    public CheckpointException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what was wrong and what to do
     * @param cause the underlying error
     */
    public CheckpointException(String message, Throwable cause) {
        super(message, cause);
    }
}
