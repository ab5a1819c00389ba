package org.sparkgrad.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The strict JSON reader and the string quoting behind safetensors headers. */
class JsonTest {
    private static String error(String text) {
        return assertThrows(IllegalArgumentException.class, () -> Json.parse(text)).getMessage();
    }

    @Test
    void parsesEveryKindOfValue() {
        Object v = Json.parse(" {\"a\": [1, -2.5e3, 0], \"b\": {\"c\": \"d\"}, \"t\": true, \"f\": false, \"n\": null}\n");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("a", "b", "t", "f", "n"), List.copyOf(m.keySet()));
        assertEquals(List.of(new BigDecimal("1"), new BigDecimal("-2.5e3"), new BigDecimal("0")), m.get("a"));
        assertEquals(Map.of("c", "d"), m.get("b"));
        assertEquals(Boolean.TRUE, m.get("t"));
        assertEquals(Boolean.FALSE, m.get("f"));
        assertSame(Json.NULL, m.get("n"));
    }

    @Test
    void decodesEscapes() {
        assertEquals("\"\\/\b\f\n\r\té🙂", Json.parse("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00E9\\ud83d\\ude42\""));
    }

    @Test
    void quoteRoundTrips() {
        String s = "a\"b\\c\n\t\u0000\u001f é 🙂 /";
        assertEquals("\"a\\\"b\\\\c\\n\\t\\u0000\\u001f é 🙂 /\"", Json.quote(s));
        assertEquals(s, Json.parse(Json.quote(s)));
    }

    @Test
    void rejectsWhatStrictJsonDoesNotAllow() {
        assertEquals("invalid JSON at character 8: expected a string key in an object", error("{\"a\": 1,}"));
        assertEquals("invalid JSON at character 3: unexpected character ']', expected a value", error("[1,]"));
        assertEquals("invalid JSON at character 1: expected a string key in an object", error("{'a': 1}"));
        assertEquals("invalid JSON at character 0: unexpected character '/', expected a value", error("// c\n{}"));
        assertEquals("invalid JSON at character 2: unescaped control character U+000A in a string", error("\"a\nb\""));
        assertEquals("invalid JSON at character 2: invalid escape \\x in a string", error("\"\\x41\""));
        assertEquals("invalid JSON at the end: string with an unpaired surrogate \\u escape", error("\"\\ud800\""));
        assertEquals("invalid JSON at character 1: expected a digit in a number", error("-x"));
        assertEquals("invalid JSON at character 1: expected the end of the JSON text", error("01"));
        assertEquals("invalid JSON at the end: expected a digit after the decimal point", error("1."));
        assertEquals("invalid JSON at character 0: unexpected character '+', expected a value", error("+1"));
        assertEquals("invalid JSON at character 0: invalid literal, expected true", error("tru"));
        assertEquals("invalid JSON at the end: unterminated string", error("\"abc"));
        assertEquals("invalid JSON at the end: unexpected end of the JSON text, expected a value", error(""));
        assertEquals("invalid JSON at character 0: unexpected character 'N', expected a value", error("NaN"));
        assertTrue(error("[".repeat(100) + "]".repeat(100)).contains("nesting deeper than 64 levels"));
    }

    @Test
    void wellFormedness() {
        assertTrue(Json.isWellFormed("a🙂b"));
        assertFalse(Json.isWellFormed("a\ud83d"));
        assertFalse(Json.isWellFormed("\ude42a"));
    }
}
