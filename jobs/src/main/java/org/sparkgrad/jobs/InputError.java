package org.sparkgrad.jobs;

/**
 * A job's input is unusable: a missing file or column, a column of the wrong type, empty or NaN cells, a single
 * class. The message names the file, the row and the column, and what would fix it; {@link Main} prints it and
 * exits with status 1 (no stack trace).
 */
final class InputError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    InputError(String message) {
        super(message, null, false, false);
    }
}
