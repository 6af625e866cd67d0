package org.fx4j.io;

/**
 * Text read from an untrusted file, made safe to print in one line of an error message: cut to a
 * length, with what Python's {@code repr} would not print as is (control and format characters, line
 * and paragraph separators, non-ASCII spaces, unpaired surrogates) escaped, so that a key holding a
 * newline, a terminal escape or a bidi override cannot forge or hide message lines.
 */
public final class SafeText {

    /** The length most callers cut to. */
    public static final int DEFAULT_MAX = 300;

    private SafeText() {}

    /**
     * Escapes and cuts a string to {@link #DEFAULT_MAX} characters ("..." marks a cut).
     *
     * @param s the string
     * @return the printable string
     */
    public static String of(String s) {
        return of(s, DEFAULT_MAX);
    }

    /**
     * Escapes and cuts a string.
     *
     * @param s the string
     * @param max the most characters kept before "..."
     * @return the printable string
     */
    public static String of(String s, int max) {
        StringBuilder out = new StringBuilder(Math.min(s.length(), max) + 8);
        for (int i = 0; i < s.length(); ) {
            if (out.length() >= max) {
                return out.append("...").toString();
            }
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == '\n') {
                out.append("\\n");
            } else if (cp == '\r') {
                out.append("\\r");
            } else if (cp == '\t') {
                out.append("\\t");
            } else if (cp == '\\') {
                out.append("\\\\");
            } else if (printable(cp)) {
                out.appendCodePoint(cp);
            } else if (cp < 0x100) {
                out.append(String.format(java.util.Locale.ROOT, "\\x%02x", cp));
            } else if (cp < 0x10000) {
                out.append(String.format(java.util.Locale.ROOT, "\\u%04x", cp));
            } else {
                out.append(String.format(java.util.Locale.ROOT, "\\U%08x", cp));
            }
        }
        return out.toString();
    }

    private static boolean printable(int cp) {
        if (cp == ' ') {
            return true;
        }
        switch (Character.getType(cp)) {
            case Character.CONTROL:
            case Character.FORMAT:
            case Character.SURROGATE:
            case Character.PRIVATE_USE:
            case Character.UNASSIGNED:
            case Character.LINE_SEPARATOR:
            case Character.PARAGRAPH_SEPARATOR:
            case Character.SPACE_SEPARATOR:
                return false;
            default:
                return true;
        }
    }
}
