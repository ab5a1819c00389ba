package org.sparkgrad.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.sparkgrad.engine.Tensor;
import org.sparkgrad.engine.io.SafeTensors;
import org.sparkgrad.spark.CheckpointFixtures.Run;

/**
 * {@link CheckpointFormat}: what makes a file's contents a valid checkpoint, and the reason given when they are not.
 * Files whose checksum was recomputed after the change stand for a writer with a bug, which the structural checks
 * still catch.
 */
class CheckpointFormatTest {
    /**
     * Written by the format's first writer (hand-written JSON, before Jackson) with hostile names: quotes,
     * backslashes, control characters (which it escaped as backslash-u00XX), non-ASCII, commas; Python's json and
     * hashlib confirm its checksum and names (the recipe in CheckpointFormat's Javadoc).
     */
    private static final String LEGACY = "/checkpoints/ckpt-000000003.safetensors";

    @Test
    void stringArraysRoundTripWithEscapes() {
        List<String> names = List.of("fc.weight", "", "quote\"back\\slash", "tab\tnl\ncontrol\u0001", "ünï €", "a,b");
        String json = CheckpointFormat.stringArray(names);
        // compact, as Python's json.dumps(names, separators=(",", ":"), ensure_ascii=False) writes it
        assertEquals("[\"fc.weight\",\"\",\"quote\\\"back\\\\slash\",\"tab\\tnl\\ncontrol\\u0001\",\"ünï €\",\"a,b\"]",
                json);
        assertEquals(names, CheckpointFormat.parseStringArray(json));
        assertEquals(List.of(), CheckpointFormat.parseStringArray(" [ ] "));
        assertEquals(List.of("a", "b/c", "\n", "\t"),
                CheckpointFormat.parseStringArray("[ \"a\" , \"b\\/c\", \"\\n\",\"\\u0009\"]"));
    }

    @Test
    void malformedStringArraysSayWhat() {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> CheckpointFormat.parseStringArray("[\"a\" \"b\"]"));
        assertTrue(ex.getMessage().startsWith("not a JSON array of strings (Unexpected character"), ex.getMessage());
        assertTrue(ex.getMessage().endsWith(" at character 5): [\"a\" \"b\"]"), ex.getMessage());
        assertEquals("not a JSON array of strings (element 1 is number, not a string): [\"a\",1]",
                assertThrows(IllegalArgumentException.class, () -> CheckpointFormat.parseStringArray("[\"a\",1]"))
                        .getMessage());
        assertEquals("not a JSON array of strings (expected an array, got object): {}",
                assertThrows(IllegalArgumentException.class, () -> CheckpointFormat.parseStringArray("{}")).getMessage());
        assertEquals("not a JSON array of strings (expected an array, got nothing): ",
                assertThrows(IllegalArgumentException.class, () -> CheckpointFormat.parseStringArray("")).getMessage());
        for (String bad : new String[] {"", " ", "[", "[\"a\"", "[\"a\",]", "[1]", "[null]", "[[\"a\"]]", "[\"a\"] x",
            "[\"a\"] [\"b\"]", "[\"\\x\"]", "[\"\\u12\"]", "{}", "\"a\"", "['a']", "[\"a\"] // c", "[\"tab\tin\"]"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CheckpointFormat.parseStringArray(bad), bad);
            assertTrue(e.getMessage().startsWith("not a JSON array of strings ("), e.getMessage());
        }
    }

    @Test
    void aCheckpointOfTheFirstWriterStillReads() throws IOException {
        byte[] bytes;
        try (InputStream in = CheckpointFormatTest.class.getResourceAsStream(LEGACY)) {
            bytes = in.readAllBytes();
        }
        SafeTensors.Contents contents = SafeTensors.read(new ByteArrayInputStream(bytes), bytes.length, LEGACY);
        TrainingState s = CheckpointFormat.decode(contents, 3);
        List<String> names = List.of("fc.weight", "quote\"back\\slash", "tab\tnl\ncontrol\u0001", "ünï €/a,b");
        assertEquals(names, List.copyOf(s.parameters().keySet()));
        assertEquals(names, s.optimizer().params());
        assertEquals(List.of("state.fc.weight.momentum_buffer", "state.tab\tnl\ncontrol\u0001.momentum_buffer"),
                List.copyOf(s.optimizer().tensors().keySet()));
        assertEquals(Map.of("lr", 0.03, "momentum", 0.9), s.optimizer().hyper());
        assertEquals(3, s.step());
        assertEquals(1, s.epoch());
        assertEquals(9007199254740993L, s.dataSeed());
        assertEquals(List.of(2.5, 1.25, 0.625), s.lossHistory());
        assertArrayEquals(new float[] {1.5f, -2f, 0.25f, 3f}, s.parameters().get("fc.weight").toFloatArray());
        assertArrayEquals(new int[] {2, 2}, s.parameters().get("fc.weight").shape());
        assertArrayEquals(new float[] {-1f, 2f}, s.parameters().get("tab\tnl\ncontrol\u0001").toFloatArray());
        assertArrayEquals(new float[] {-0.5f, 0.5f},
                s.optimizer().tensors().get("state.tab\tnl\ncontrol\u0001.momentum_buffer").toFloatArray());
        // the first writer's escapes (Jackson writes \t and \n)
        assertTrue(contents.metadata().get("parameters").contains("tab\\u0009nl\\u000acontrol\\u0001"));

        // written again, the same state has the same shape of metadata and reads back the same
        CheckpointFormat.Encoded again = CheckpointFormat.encode(s);
        assertEquals(List.copyOf(contents.metadata().keySet()), List.copyOf(again.metadata().keySet()));
        for (String key : List.of("format", "format_version", "step", "epoch", "data_seed", "optimizer.hyper.lr",
                "optimizer.hyper.momentum")) {
            assertEquals(contents.metadata().get(key), again.metadata().get(key), key);
        }
        CheckpointFixtures.assertSameState(s,
                CheckpointFormat.decode(new SafeTensors.Contents(again.tensors(), again.metadata()), 3));
    }

    /** The state's file contents, changed by edit, with the checksum recomputed so only the structure is wrong. */
    private static SafeTensors.Contents edited(TrainingState s, Consumer<CheckpointFormat.Encoded> edit) {
        CheckpointFormat.Encoded e = CheckpointFormat.encode(s);
        CheckpointFormat.Encoded copy = new CheckpointFormat.Encoded(new LinkedHashMap<>(e.tensors()),
                new LinkedHashMap<>(e.metadata()));
        edit.accept(copy);
        copy.metadata().remove(CheckpointFormat.KEY_CHECKSUM);
        copy.metadata().put(CheckpointFormat.KEY_CHECKSUM, CheckpointFormat.checksum(copy.tensors(), copy.metadata()));
        return new SafeTensors.Contents(copy.tensors(), copy.metadata());
    }

    private static String decodeError(SafeTensors.Contents c, long step) {
        IOException ex = assertThrows(IOException.class, () -> CheckpointFormat.decode(c, step));
        return ex.getMessage();
    }

    @Test
    void structuralProblemsAreNamed() throws IOException {
        TrainingState s = new Run(1).steps(2).state();
        CheckpointFixtures.assertSameState(s, CheckpointFormat.decode(edited(s, e -> { }), 2));

        assertEquals("checkpoint format version 2 is not supported (this reader knows version 1)",
                decodeError(edited(s, e -> e.metadata().put("format_version", "2")), 2));
        assertEquals("metadata \"parameters\" lists \"0.weight\" but there is no tensor \"param.0.weight\"",
                decodeError(edited(s, e -> e.tensors().remove("param.0.weight")), 2));
        assertEquals("tensor \"param.extra\" is not listed in metadata \"parameters\"",
                decodeError(edited(s, e -> e.tensors().put("param.extra", Tensor.of(1))), 2));
        assertEquals("tensor \"optim.state.x.y\" is not listed in metadata \"optimizer.state\"",
                decodeError(edited(s, e -> e.tensors().put("optim.state.x.y", Tensor.of(1))), 2));
        assertEquals("unexpected tensor \"stray\" (expected param.*, optim.* and loss_history)",
                decodeError(edited(s, e -> e.tensors().put("stray", Tensor.of(1))), 2));
        assertEquals("there is no tensor \"loss_history\"",
                decodeError(edited(s, e -> e.tensors().remove("loss_history")), 2));
        assertEquals("tensor \"loss_history\" must be FLOAT64 of one dimension, got FLOAT32 [2]",
                decodeError(edited(s, e -> e.tensors().put("loss_history", Tensor.of(1, 2))), 2));
        assertEquals("metadata \"epoch\" is \"one\", not an integer",
                decodeError(edited(s, e -> e.metadata().put("epoch", "one")), 2));
        assertEquals("metadata \"optimizer.hyper.lr\" is \"fast\", not a number",
                decodeError(edited(s, e -> e.metadata().put("optimizer.hyper.lr", "fast")), 2));
        assertEquals("metadata \"data_seed\" is missing",
                decodeError(edited(s, e -> e.metadata().remove("data_seed")), 2));
        assertEquals("metadata \"parameters\" lists \"0.bias\" twice",
                decodeError(edited(s, e -> e.metadata().put("parameters", "[\"0.weight\",\"0.bias\",\"0.bias\"]")), 2));
        String why = decodeError(edited(s, e -> e.metadata().put("optimizer.params", "0.weight")), 2);
        assertTrue(why.startsWith("metadata \"optimizer.params\" is not a JSON array of strings"), why);
        assertEquals("the file name says step 3 but the checkpoint holds step 2", decodeError(edited(s, e -> { }), 3));
    }

    @Test
    void aMissingOrWrongChecksumIsRefused() {
        TrainingState s = new Run(1).steps(1).state();
        CheckpointFormat.Encoded e = CheckpointFormat.encode(s);
        Map<String, String> meta = new LinkedHashMap<>(e.metadata());
        meta.remove("checksum");
        assertEquals("the checkpoint has no \"checksum\" in its metadata",
                decodeError(new SafeTensors.Contents(e.tensors(), meta), 1));
        meta.put("checksum", "sha256:00");
        String why = decodeError(new SafeTensors.Contents(e.tensors(), meta), 1);
        assertEquals("checksum mismatch: the file says sha256:00 but its contents hash to " + e.metadata().get("checksum")
                + " (corrupted or modified)", why);
    }
}
