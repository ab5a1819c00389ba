package org.sparkgrad.engine.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Json} against Jackson (the JSON library Spark brings: jackson-databind 2.20.1, test scope here, so the
 * engine stays free of it) on ordinary and hostile texts. Jackson is configured as strictly as it goes
 * (duplicate keys rejected, nothing after the root value); where the two still differ, the tests named
 * deliberateDifferences and utf8ThatOnlyJacksonLetsThrough pin both answers and say what RFC 8259 allows.
 */
class JsonJacksonCrossTest {
    private static final JsonFactory STRICT = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    /** What a parser made of a text: the value (in Json's representation), or the rejection. */
    record Outcome(boolean accepted, Object value, String error) {
        static Outcome of(Object value) {
            return new Outcome(true, value, null);
        }

        static Outcome rejected(Exception e) {
            return new Outcome(false, null, e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    static Outcome ours(String text) {
        try {
            return Outcome.of(Json.parse(text));
        } catch (IllegalArgumentException e) {
            return Outcome.rejected(e);
        }
    }

    /** Jackson on the UTF-8 bytes of the text, with one root value and nothing after it. */
    static Outcome jackson(byte[] utf8) {
        try (JsonParser p = STRICT.createParser(utf8)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw new IOException("no value");
            }
            Object v = jacksonValue(p, t);
            JsonToken after = p.nextToken();
            if (after != null) {
                throw new IOException("trailing " + after + " after the root value");
            }
            return Outcome.of(v);
        } catch (IOException | RuntimeException e) {
            return Outcome.rejected(e);
        }
    }

    static Outcome jackson(String text) {
        return jackson(text.getBytes(StandardCharsets.UTF_8));
    }

    /** The value at the current token, built as Json builds it (maps in document order, BigDecimal numbers). */
    private static Object jacksonValue(JsonParser p, JsonToken t) throws IOException {
        switch (t) {
            case START_OBJECT: {
                Map<String, Object> m = new LinkedHashMap<>();
                for (JsonToken k = p.nextToken(); k != JsonToken.END_OBJECT; k = p.nextToken()) {
                    String key = p.currentName();
                    m.put(key, jacksonValue(p, p.nextToken()));
                }
                return m;
            }
            case START_ARRAY: {
                List<Object> l = new ArrayList<>();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    l.add(jacksonValue(p, e));
                }
                return l;
            }
            case VALUE_STRING:
                return p.getText();
            case VALUE_NUMBER_INT:
            case VALUE_NUMBER_FLOAT:
                return p.getDecimalValue();
            case VALUE_TRUE:
                return Boolean.TRUE;
            case VALUE_FALSE:
                return Boolean.FALSE;
            case VALUE_NULL:
                return Json.NULL;
            default:
                throw new IOException("unexpected token " + t);
        }
    }

    /** A text both parsers must treat alike, and whether RFC 8259 makes it a JSON text. */
    record Case(String name, String text, boolean valid) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> agreed() {
        String deep = "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1);
        return Stream.of(
                // ordinary
                new Case("object of every kind", "{\"a\": [1, -2.5e3, 0], \"b\": {\"c\": \"d\"}, \"t\": true, "
                        + "\"f\": false, \"n\": null}", true),
                new Case("safetensors header", "{\"__metadata__\":{\"format\":\"pt\"},\"w\":{\"dtype\":\"F32\","
                        + "\"shape\":[2,3],\"data_offsets\":[0,24]}}", true),
                new Case("empty containers", " [ {}, [], \"\" ] ", true),
                new Case("empty key", "{\"\": 1}", true),
                new Case("top-level string", "\"s\"", true),
                new Case("top-level number", "42", true),
                new Case("top-level literal", "null", true),
                new Case("whitespace of all four kinds", " \t\r\n[ 1 ,\n2\t]\r\n ", true),
                new Case("same key in sibling objects", "[{\"a\":1},{\"a\":2}]", true),
                new Case("nesting at the limit", deep, true),
                // numbers
                new Case("minus zero", "[-0, -0.0, 0e0]", true),
                new Case("exponent forms", "[1E+2, 1e-2, 1E2, 0.5e1]", true),
                new Case("50-digit integer", "12345678901234567890123456789012345678901234567890", true),
                new Case("beyond double range", "[1e400, -1e-400, 1.5e308]", true),
                new Case("long fraction", "123456789012345678901234567890.123456789012345678901234567890e-10", true),
                new Case("999 digits", "9".repeat(999), true),
                new Case("leading zero", "01", false),
                new Case("no digit after the point", "1.", false),
                new Case("no digit before the point", ".5", false),
                new Case("plus sign", "+1", false),
                new Case("lone minus", "-", false),
                new Case("empty exponent", "1e", false),
                new Case("signed empty exponent", "1e+", false),
                new Case("hex", "0x10", false),
                new Case("NaN", "NaN", false),
                new Case("Infinity", "[-Infinity]", false),
                // literals and structure
                new Case("truncated literal", "tru", false),
                new Case("capitalised literal", "True", false),
                new Case("trailing comma in an array", "[1,]", false),
                new Case("trailing comma in an object", "{\"a\":1,}", false),
                new Case("missing comma", "[1 2]", false),
                new Case("missing colon", "{\"a\" 1}", false),
                new Case("missing value", "{\"a\":}", false),
                new Case("single quotes", "{'a':1}", false),
                new Case("bare key", "{a:1}", false),
                new Case("number key", "{1:1}", false),
                new Case("unclosed array", "[1", false),
                new Case("unclosed object", "{\"a\":1", false),
                new Case("unterminated string", "\"abc", false),
                new Case("empty text", "", false),
                new Case("only whitespace", " \n ", false),
                new Case("line comment", "// c\n{}", false),
                new Case("block comment", "/* c */ {}", false),
                new Case("hash comment", "# c\n{}", false),
                // trailing garbage
                new Case("word after the value", "{} x", false),
                new Case("extra closing brace", "{}}", false),
                new Case("extra closing bracket", "[1]]", false),
                new Case("second object", "{} {}", false),
                new Case("second number", "1 2", false),
                new Case("second string", "\"a\" \"b\"", false),
                new Case("NUL after the value", "{}\u0000", false),
                // whitespace RFC 8259 does not allow
                new Case("form feed", "\f{}", false),
                new Case("vertical tab", "\u000b{}", false),
                new Case("no-break space", "\u00a0{}", false),
                new Case("line separator", "\u2028{}", false),
                // strings and escapes
                new Case("every short escape", "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", true),
                new Case("unicode escapes, both cases", "\"\\u00e9\\u00E9\\u0000\\u001F\"", true),
                new Case("escaped surrogate pair", "\"\\ud83d\\ude42\"", true),
                new Case("raw non-BMP character", "\"\ud83d\ude42 \u00e9 \u4e2d\"", true),
                new Case("raw DEL, U+2028 and U+FFFF", "\"\u007f\u2028\uffff\"", true),
                new Case("escaped key", "{\"\\u0061\\n\":1}", true),
                new Case("long string", "\"" + "x".repeat(1_000_000) + "\"", true),
                new Case("hex escape", "\"\\x41\"", false),
                new Case("short unicode escape", "\"\\u12\"", false),
                new Case("bad hex digit", "\"\\u12G4\"", false),
                new Case("capital U escape", "\"\\U0041\"", false),
                new Case("escaped single quote", "\"\\'\"", false),
                new Case("bell escape", "\"\\a\"", false),
                new Case("escape at the end", "\"\\", false),
                // control characters must be escaped inside strings
                new Case("raw newline in a string", "\"a\nb\"", false),
                new Case("raw tab in a string", "\"a\tb\"", false),
                new Case("raw NUL in a string", "\"a\u0000b\"", false),
                new Case("raw U+001F in a key", "{\"\u001f\":1}", false),
                // duplicate keys
                new Case("duplicate key", "{\"a\":1,\"a\":2}", false),
                new Case("duplicate key spelt with an escape", "{\"a\":1,\"\\u0061\":2}", false),
                new Case("duplicate key with equal values, nested", "{\"x\":{\"a\":1,\"a\":1}}", false),
                // hostile nesting: rejected without a stack overflow
                new Case("100000 open brackets", "[".repeat(100_000), false),
                new Case("100000 nested arrays", "[".repeat(100_000) + "]".repeat(100_000), false),
                new Case("100000 nested objects", "{\"a\":".repeat(100_000) + "1" + "}".repeat(100_000), false));
    }

    @ParameterizedTest
    @MethodSource("agreed")
    void bothParsersAgree(Case c) {
        Outcome o = ours(c.text());
        Outcome j = jackson(c.text());
        assertEquals(c.valid(), o.accepted(), () -> "Json on " + c + ": " + o);
        assertEquals(c.valid(), j.accepted(), () -> "Jackson on " + c + ": " + j);
        assertEquals(j.value(), o.value(), c.name());
    }

    @Test
    void deliberateDifferences() throws IOException {
        // Nesting: RFC 8259 section 9 lets a parser limit depth. Ours stops at MAX_DEPTH (a safetensors header
        // needs 3 levels), Jackson at its StreamReadConstraints default of 1000.
        String deeper = "[".repeat(Json.MAX_DEPTH + 2) + "]".repeat(Json.MAX_DEPTH + 2);
        assertTrue(ours(deeper).error().contains("nesting deeper than " + Json.MAX_DEPTH + " levels"), ours(deeper).error());
        assertTrue(jackson(deeper).accepted());
        String beyondJackson = "[".repeat(1001) + "]".repeat(1001);
        assertTrue(jackson(beyondJackson).error().contains("Document nesting depth (1001) exceeds the maximum allowed"),
                jackson(beyondJackson).error());

        // Number length: section 9 also allows limits on numbers. Jackson refuses numbers longer than 1000
        // characters; ours reads any length exactly (the header's size limit bounds them).
        String longNumber = "1".repeat(1001);
        assertEquals(new BigDecimal(longNumber), ours(longNumber).value());
        assertTrue(jackson(longNumber).error().contains("Number value length (1001) exceeds the maximum allowed"),
                jackson(longNumber).error());
        // An exponent beyond BigDecimal's int scale: ours says so; Jackson accepts the token (and its
        // BigDecimal conversion fails), so both refuse, with different messages.
        assertEquals("IllegalArgumentException: invalid JSON at character 0: number out of range",
                ours("1e9999999999").error());
        assertTrue(!jackson("1e9999999999").accepted(), jackson("1e9999999999").toString());

        // Unpaired surrogates: the grammar of section 7 allows "\ud800", section 8.2 says such strings make
        // behaviour unpredictable. Jackson returns a string without a UTF-8 encoding; ours refuses, because
        // header strings (tensor names, metadata) must be writable as UTF-8.
        for (String lone : List.of("\"\\ud800\"", "\"\\udc00\"", "\"\\ude42\\ud83d\"", "\"\\ud83d\\u0041\"",
                "\"\\ud83dx\"")) {
            assertTrue(ours(lone).error().contains("unpaired surrogate"), lone + ": " + ours(lone));
            Outcome j = jackson(lone);
            assertTrue(j.accepted() && !Json.isWellFormed((String) j.value()), lone + ": " + j);
        }
        assertTrue(ours("{\"\\ud800\":1}").error().contains("unpaired surrogate"));
        assertEquals(Map.of("\ud800", new BigDecimal(1)), jackson("{\"\\ud800\":1}").value());

        // A byte order mark: section 8.1 says parsers MAY ignore one. Jackson skips it when reading bytes; ours
        // reads text, where U+FEFF is not whitespace (a safetensors header starts with '{').
        byte[] bom = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf, '{', '}'};
        assertEquals(Map.of(), jackson(bom).value());
        assertEquals("IllegalArgumentException: invalid JSON at character 0: unexpected character U+FEFF, "
                + "expected a value", ours(new String(bom, StandardCharsets.UTF_8)).error());

        // Duplicate keys: section 4 says names SHOULD be unique and leaves duplicates' meaning open. Ours
        // refuses them, as strict Jackson (above) does; Jackson's default keeps the last.
        assertEquals(2, new ObjectMapper().readTree("{\"a\":1,\"a\":2}").get("a").intValue());
    }

    // =====================================================================================================
    // UTF-8: the header bytes go through SafeTensors' strict decoder, the same bytes through Jackson

    /** A metadata-only safetensors file whose one metadata value is the given bytes. */
    private static byte[] fileWithMetadataValue(byte[] value) throws IOException {
        ByteArrayOutputStream header = new ByteArrayOutputStream();
        header.write("{\"__metadata__\":{\"k\":\"".getBytes(StandardCharsets.US_ASCII));
        header.write(value);
        header.write("\"}}".getBytes(StandardCharsets.US_ASCII));
        byte[] h = header.toByteArray();
        return ByteBuffer.allocate(8 + h.length).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h).array();
    }

    /** The metadata value SafeTensors reads, or its error. */
    private static Outcome safeTensors(byte[] value) throws IOException {
        byte[] file = fileWithMetadataValue(value);
        try {
            return Outcome.of(SafeTensors.read(new ByteArrayInputStream(file), file.length, "test").metadata().get("k"));
        } catch (IOException e) {
            return Outcome.rejected(e);
        }
    }

    private static Outcome jacksonMetadataValue(byte[] value) throws IOException {
        byte[] file = fileWithMetadataValue(value);
        Outcome o = jackson(Arrays.copyOfRange(file, 8, file.length));
        return o.accepted() ? Outcome.of(((Map<?, ?>) ((Map<?, ?>) o.value()).get("__metadata__")).get("k")) : o;
    }

    private static byte[] bytes(int... b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = (byte) b[i];
        }
        return out;
    }

    @Test
    void validUtf8ReadsAlike() throws IOException {
        for (String s : List.of("\u00e9", "\u4e2d", "\ud83d\ude42", "\uffff", "\udbff\udfff", "\u0080\u07ff\u0800")) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            assertEquals(Outcome.of(s), safeTensors(b), s);
            assertEquals(Outcome.of(s), jacksonMetadataValue(b), s);
        }
    }

    @Test
    void invalidUtf8IsRefused() throws IOException {
        // RFC 8259 section 8.1: JSON text exchanged between systems MUST be UTF-8 (RFC 3629). Each sequence
        // below is not UTF-8; both refuse it.
        Map<String, byte[]> invalid = new LinkedHashMap<>();
        invalid.put("lone continuation byte", bytes(0x80));
        invalid.put("byte FF", bytes(0xff));
        invalid.put("two-byte start then a quote", bytes(0xc3));
        invalid.put("truncated four-byte sequence", bytes(0xf0, 0x9f, 0x99));
        invalid.put("start byte followed by ASCII", bytes(0xe4, 0x41, 0x41));
        for (Map.Entry<String, byte[]> e : invalid.entrySet()) {
            Outcome o = safeTensors(e.getValue());
            assertEquals("IOException: invalid safetensors file test: the header is not valid UTF-8", o.error(), e.getKey());
            assertTrue(!jacksonMetadataValue(e.getValue()).accepted(), e.getKey() + ": " + jacksonMetadataValue(e.getValue()));
        }
    }

    @Test
    void utf8ThatOnlyJacksonLetsThrough() throws IOException {
        // Overlong forms, encoded surrogates and code points beyond U+10FFFF are not UTF-8 either (RFC 3629 section 3), and section 10 of
        // it names overlong forms as a security risk. The JDK's strict decoder refuses them; Jackson decodes
        // them without the check (a deliberate difference: ours is what RFC 8259 asks for).
        Map<String, byte[]> lax = new LinkedHashMap<>();
        lax.put("overlong NUL", bytes(0xc0, 0x80));
        lax.put("overlong '/'", bytes(0xe0, 0x80, 0xaf));
        lax.put("encoded high surrogate", bytes(0xed, 0xa0, 0x80));
        lax.put("beyond U+10FFFF", bytes(0xf4, 0x90, 0x80, 0x80));
        lax.put("start byte F5", bytes(0xf5, 0x80, 0x80, 0x80));
        for (Map.Entry<String, byte[]> e : lax.entrySet()) {
            assertEquals("IOException: invalid safetensors file test: the header is not valid UTF-8", safeTensors(e.getValue()).error(), e.getKey());
            Outcome j = jacksonMetadataValue(e.getValue());
            assertTrue(j.accepted(), e.getKey() + ": " + j);
        }
    }

    // =====================================================================================================
    // Round trips: Json.quote read by Jackson, and seeded documents written by Jackson read by Json

    /** A seeded string of characters that need care: quotes, backslashes, controls, non-BMP, separators. */
    private static String hostileString(Random r) {
        String specials = "\"\\/\b\f\n\r\t\u0000\u001f\u007f\u2028\u2029\ufeff\uffff\u00e9";
        StringBuilder sb = new StringBuilder();
        int n = r.nextInt(20);
        for (int i = 0; i < n; i++) {
            switch (r.nextInt(4)) {
                case 0 -> sb.append(specials.charAt(r.nextInt(specials.length())));
                case 1 -> sb.append((char) r.nextInt(0x20));
                case 2 -> sb.appendCodePoint(0x10000 + r.nextInt(0x100000));
                default -> sb.append((char) (' ' + r.nextInt(95)));
            }
        }
        return sb.toString();
    }

    @Test
    void quotedStringsReadBackThroughJackson() throws IOException {
        Random r = new Random(12);
        ObjectMapper mapper = new ObjectMapper();
        for (int i = 0; i < 2000; i++) {
            String s = hostileString(r);
            assertEquals(s, mapper.readValue(Json.quote(s), String.class), () -> "quote of " + s.codePoints().boxed().toList());
            assertEquals(s, Json.parse(mapper.writeValueAsString(s)));
        }
    }

    private static Object randomValue(Random r, int depth) {
        int kind = depth > 4 ? 2 + r.nextInt(5) : r.nextInt(7);
        switch (kind) {
            case 0: {
                Map<String, Object> m = new LinkedHashMap<>();
                int n = r.nextInt(5);
                for (int i = 0; i < n; i++) {
                    m.put(hostileString(r) + i, randomValue(r, depth + 1)); // the index keeps keys distinct
                }
                return m;
            }
            case 1: {
                List<Object> l = new ArrayList<>();
                int n = r.nextInt(5);
                for (int i = 0; i < n; i++) {
                    l.add(randomValue(r, depth + 1));
                }
                return l;
            }
            case 2:
                return hostileString(r);
            case 3:
                return r.nextLong() >> r.nextInt(64);
            case 4:
                return r.nextBoolean() ? r.nextDouble() * Math.pow(10, r.nextInt(600) - 300) : -r.nextFloat();
            case 5:
                return r.nextBoolean();
            default:
                return null;
        }
    }

    @Test
    void seededDocumentsWrittenByJacksonReadAlike() throws IOException {
        Random r = new Random(7);
        ObjectMapper mapper = new ObjectMapper();
        for (int i = 0; i < 500; i++) {
            Object doc = randomValue(r, 0);
            String text = i % 2 == 0 ? mapper.writeValueAsString(doc)
                    : mapper.writerWithDefaultPrettyPrinter().writeValueAsString(doc);
            Outcome o = ours(text);
            assertTrue(o.accepted(), text + ": " + o);
            assertEquals(jackson(text), o, text);
        }
    }
}
