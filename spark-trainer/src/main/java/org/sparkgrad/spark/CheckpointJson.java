package org.sparkgrad.spark;

import java.util.ArrayList;
import java.util.List;

/**
 * The one JSON shape a checkpoint's metadata uses: an array of strings (parameter names, in order), so
 * that {@code json.loads(metadata["parameters"])} reads it in Python.
 */
final class CheckpointJson {
    private CheckpointJson() {
    }

    /** The strings as a JSON array, e.g. {@code ["fc.weight","fc.bias"]}. */
    static String stringArray(List<String> values) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < values.size(); i++) {
            sb.append(i == 0 ? "" : ",");
            quote(values.get(i), sb);
        }
        return sb.append(']').toString();
    }

    /**
     * Parses a JSON array of strings (whitespace between tokens allowed).
     *
     * @throws IllegalArgumentException saying where the text stops being such an array
     */
    static List<String> parseStringArray(String text) {
        List<String> out = new ArrayList<>();
        int[] pos = {skip(text, 0)};
        expect(text, pos, '[');
        pos[0] = skip(text, pos[0]);
        if (peek(text, pos[0]) == ']') {
            pos[0]++;
        } else {
            while (true) {
                pos[0] = skip(text, pos[0]);
                out.add(string(text, pos));
                pos[0] = skip(text, pos[0]);
                char c = peek(text, pos[0]);
                pos[0]++;
                if (c == ']') {
                    break;
                }
                if (c != ',') {
                    throw error(text, pos[0] - 1, "expected ',' or ']'");
                }
            }
        }
        if (skip(text, pos[0]) != text.length()) {
            throw error(text, pos[0], "expected the end of the array");
        }
        return out;
    }

    private static void quote(String s, StringBuilder sb) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static String string(String text, int[] pos) {
        expect(text, pos, '"');
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos[0] >= text.length()) {
                throw error(text, pos[0], "unterminated string");
            }
            char c = text.charAt(pos[0]++);
            if (c == '"') {
                return sb.toString();
            }
            if (c < 0x20) {
                throw error(text, pos[0] - 1, "unescaped control character in a string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            char e = peek(text, pos[0]++);
            switch (e) {
                case '"', '\\', '/' -> sb.append(e);
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> {
                    if (pos[0] + 4 > text.length()) {
                        throw error(text, pos[0], "truncated \\u escape");
                    }
                    try {
                        sb.append((char) Integer.parseInt(text.substring(pos[0], pos[0] + 4), 16));
                    } catch (NumberFormatException ex) {
                        throw error(text, pos[0], "invalid \\u escape");
                    }
                    pos[0] += 4;
                }
                default -> throw error(text, pos[0] - 1, "invalid escape");
            }
        }
    }

    private static void expect(String text, int[] pos, char c) {
        if (peek(text, pos[0]) != c) {
            throw error(text, pos[0], "expected '" + c + "'");
        }
        pos[0]++;
    }

    private static char peek(String text, int pos) {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private static int skip(String text, int pos) {
        while (pos < text.length() && " \t\n\r".indexOf(text.charAt(pos)) >= 0) {
            pos++;
        }
        return pos;
    }

    private static IllegalArgumentException error(String text, int pos, String what) {
        return new IllegalArgumentException("not a JSON array of strings (" + what + " at character " + pos + "): "
                + (text.length() > 60 ? text.substring(0, 60) + "..." : text));
    }
}
