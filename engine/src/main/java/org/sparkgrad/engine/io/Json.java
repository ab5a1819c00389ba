package org.sparkgrad.engine.io;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small strict JSON (RFC 8259) reader and string writer for model file headers. Values come back as
 * {@code Map<String, Object>} (keys in document order), {@code List<Object>}, {@code String},
 * {@code BigDecimal}, {@code Boolean} or {@link #NULL}. Strict: no comments, no trailing commas, no
 * duplicate keys, no unescaped control characters, no lone surrogates, nothing after the value but
 * whitespace, at most {@value #MAX_DEPTH} levels of nesting and numbers of at most {@value #MAX_NUMBER_LENGTH}
 * characters (BigDecimal's parsing time grows with the square of the digits), so a text is read in time
 * linear in its length.
 *
 * <p>Besides {@link #parse}, which builds the whole tree, a reader can walk objects and arrays member by
 * member ({@link #readObject}, {@link #readArray}) and so check limits before it builds anything.
 */
final class Json {
    /** The JSON {@code null} (a Java null can't be told apart from a missing map entry). */
    static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "null";
        }
    };

    static final int MAX_DEPTH = 64;

    /** The longest number token, as in Jackson's default StreamReadConstraints. */
    static final int MAX_NUMBER_LENGTH = 1000;

    /** Reads the value of one object member; it must read exactly one value, at the given depth. */
    interface MemberReader {
        void read(String key, int depth);
    }

    /** Reads one array element; it must read exactly one value, at the given depth. */
    interface ElementReader {
        void read(int index, int depth);
    }

    private final String text;
    private int pos;

    private Json(String text) {
        this.text = text;
    }

    /** Parses one JSON value that makes up the whole text (surrounding whitespace allowed). */
    static Object parse(String text) {
        Json p = reader(text);
        Object v = p.value(0);
        p.end();
        return v;
    }

    /** A reader at the start of text's first value (leading whitespace skipped). */
    static Json reader(String text) {
        Json p = new Json(text);
        p.skipWhitespace();
        return p;
    }

    /** Checks that nothing but whitespace follows the value read. */
    void end() {
        skipWhitespace();
        if (pos != text.length()) {
            throw error("expected the end of the JSON text");
        }
    }

    /** The first character of the next value (whitespace skipped), or NUL at the end. */
    char peekValue() {
        skipWhitespace();
        return peek();
    }

    /** {@code s} as a JSON string literal (quotes, backslashes and control characters escaped). */
    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }

    /** Whether s is well-formed UTF-16 (every surrogate paired), so that it has a UTF-8 encoding. */
    static boolean isWellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /** Reads the next value and everything in it, at the given depth (the top-level value is at 0). */
    Object value(int depth) {
        skipWhitespace();
        checkDepth(depth);
        if (pos >= text.length()) {
            throw error("unexpected end of the JSON text, expected a value");
        }
        char c = text.charAt(pos);
        return switch (c) {
            case '{' -> object(depth);
            case '[' -> array(depth);
            case '"' -> string();
            case 't' -> literal("true", Boolean.TRUE);
            case 'f' -> literal("false", Boolean.FALSE);
            case 'n' -> literal("null", NULL);
            default -> {
                if (c == '-' || (c >= '0' && c <= '9')) {
                    yield number();
                }
                throw error("unexpected character " + describe(c) + ", expected a value");
            }
        };
    }

    private Map<String, Object> object(int depth) {
        Map<String, Object> out = new LinkedHashMap<>();
        readObject(depth, (key, d) -> out.put(key, value(d)));
        return out;
    }

    private List<Object> array(int depth) {
        List<Object> out = new ArrayList<>();
        readArray(depth, (i, d) -> out.add(value(d)));
        return out;
    }

    /**
     * Reads the object that starts here (at the given depth), handing each member's key to r, which reads
     * its value. Duplicate keys are refused before their value is read.
     */
    void readObject(int depth, MemberReader r) {
        checkDepth(depth);
        skipWhitespace();
        expect('{');
        skipWhitespace();
        if (peek() == '}') {
            pos++;
            return;
        }
        Set<String> keys = new HashSet<>();
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key in an object");
            }
            int keyPos = pos;
            String key = string();
            if (!keys.add(key)) {
                pos = keyPos;
                throw error("duplicate key " + quote(key));
            }
            skipWhitespace();
            expect(':');
            skipWhitespace();
            r.read(key, depth + 1);
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == '}') {
                pos++;
                return;
            } else {
                throw error("expected ',' or '}' in an object");
            }
        }
    }

    /** Reads the array that starts here (at the given depth), handing each element's index to r, which reads it. */
    void readArray(int depth, ElementReader r) {
        checkDepth(depth);
        skipWhitespace();
        expect('[');
        skipWhitespace();
        if (peek() == ']') {
            pos++;
            return;
        }
        for (int i = 0; ; i++) {
            skipWhitespace();
            r.read(i, depth + 1);
            skipWhitespace();
            char c = peek();
            if (c == ',') {
                pos++;
            } else if (c == ']') {
                pos++;
                return;
            } else {
                throw error("expected ',' or ']' in an array");
            }
        }
    }

    private void checkDepth(int depth) {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
    }

    private String string() {
        pos++; // opening quote
        StringBuilder sb = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == '"') {
                break;
            }
            if (c < 0x20) {
                pos--;
                throw error("unescaped control character " + describe(c) + " in a string");
            }
            if (c != '\\') {
                sb.append(c);
                continue;
            }
            if (pos >= text.length()) {
                throw error("unterminated escape in a string");
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"' -> sb.append('"');
                case '\\' -> sb.append('\\');
                case '/' -> sb.append('/');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                case 'n' -> sb.append('\n');
                case 'r' -> sb.append('\r');
                case 't' -> sb.append('\t');
                case 'u' -> sb.append(hex4());
                default -> {
                    pos--;
                    throw error("invalid escape \\" + e + " in a string");
                }
            }
        }
        String s = sb.toString();
        if (!isWellFormed(s)) {
            throw error("string with an unpaired surrogate \\u escape");
        }
        return s;
    }

    private char hex4() {
        if (pos + 4 > text.length()) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int d = Character.digit(text.charAt(pos), 16);
            if (d < 0) {
                throw error("invalid hex digit " + describe(text.charAt(pos)) + " in a \\u escape");
            }
            v = v * 16 + d;
            pos++;
        }
        return (char) v;
    }

    private BigDecimal number() {
        int start = pos;
        if (peek() == '-') {
            pos++;
        }
        if (peek() == '0') {
            pos++;
        } else if (isDigit(peek())) {
            digits();
        } else {
            throw error("expected a digit in a number");
        }
        if (peek() == '.') {
            pos++;
            if (!isDigit(peek())) {
                throw error("expected a digit after the decimal point");
            }
            digits();
        }
        if (peek() == 'e' || peek() == 'E') {
            pos++;
            if (peek() == '+' || peek() == '-') {
                pos++;
            }
            if (!isDigit(peek())) {
                throw error("expected a digit in the exponent");
            }
            digits();
        }
        if (pos - start > MAX_NUMBER_LENGTH) {
            int length = pos - start;
            pos = start;
            throw error("number of " + length + " characters, longer than the " + MAX_NUMBER_LENGTH + " allowed");
        }
        try {
            return new BigDecimal(text.substring(start, pos));
        } catch (NumberFormatException | ArithmeticException ex) {
            pos = start;
            throw error("number out of range");
        }
    }

    private void digits() {
        while (isDigit(peek())) {
            pos++;
        }
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private Object literal(String word, Object v) {
        if (!text.startsWith(word, pos)) {
            throw error("invalid literal, expected " + word);
        }
        pos += word.length();
        return v;
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    /** The current character, or NUL at the end (NUL never passes any check here). */
    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipWhitespace() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private static String describe(char c) {
        return c >= 0x20 && c < 0x7f ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    private IllegalArgumentException error(String what) {
        String at = pos >= text.length() ? "at the end" : "at character " + pos;
        return new IllegalArgumentException("invalid JSON " + at + ": " + what);
    }
}
