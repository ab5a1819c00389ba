package org.sparkgrad.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings files in conf/ feed the programs' options; the command line wins. */
class MainTest {
    @Test
    void settingsFileOptionsComeFirstSoTheCommandLineWins(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("linear-regression.properties"), "lr=0.05\nepochs=2\n");
        String before = System.getProperty("sparkgrad.conf.dir");
        System.setProperty("sparkgrad.conf.dir", dir.toString());
        try {
            String[] args = Main.withConfFile("linear-regression", new String[] {"--lr", "0.1"});
            assertArrayEquals(new String[] {"--epochs", "2", "--lr", "0.05", "--lr", "0.1"}, args);
            assertEquals(0.1, Options.parse(args, "lr", "0.03", "epochs", "3").getDouble("lr"));
            assertEquals(2, Options.parse(args, "lr", "0.03", "epochs", "3").getInt("epochs"));
            assertArrayEquals(new String[] {"--x", "1"}, Main.withConfFile("polynomial", new String[] {"--x", "1"}),
                    "no file, no change");
        } finally {
            if (before == null) {
                System.clearProperty("sparkgrad.conf.dir");
            } else {
                System.setProperty("sparkgrad.conf.dir", before);
            }
        }
    }

    @Test
    void theShippedSettingsFilesOnlyNameOptionsTheirProgramsKnow() throws IOException {
        // Each file under conf/ parses against the defaults of the program it configures.
        String[][] programs = {
            {"linear-regression", "samples", "batch", "epochs", "lr", "noise", "seed", "out"},
            {"line-fit", "epochs", "lr", "optimizer", "schedule", "momentum", "beta2", "seed", "noise", "print-every",
                "partitions", "master", "out"},
            {"synthetic-mlp", "rows", "features", "hidden", "classes", "partitions", "batch", "steps", "lr", "optimizer",
                "seed", "heldout", "log-every", "master", "out"},
            {"manual-vs-autograd", "m", "input", "hidden", "output", "epochs", "lr", "seed", "every"}};
        for (String[] program : programs) {
            Properties p = new Properties();
            try (var r = Files.newBufferedReader(Path.of("..", "conf", program[0] + ".properties"))) {
                p.load(r);
            }
            java.util.Set<String> known = new java.util.HashSet<>(java.util.Arrays.asList(program).subList(1, program.length));
            for (String key : p.stringPropertyNames()) {
                org.junit.jupiter.api.Assertions.assertTrue(known.contains(key), program[0] + " has no option --" + key);
            }
        }
    }
}
