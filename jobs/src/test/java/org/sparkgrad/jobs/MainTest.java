package org.sparkgrad.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.RecordComponent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Settings files in conf/ feed the programs' options (the command line wins) and hold the records' defaults. */
class MainTest {
    private static final Path CONF = Path.of("..", "conf");

    /** Runs body with the system property sparkgrad.conf.dir set to dir. */
    static <T> T withConfDir(Path dir, Callable<T> body) throws Exception {
        String before = System.getProperty("sparkgrad.conf.dir");
        System.setProperty("sparkgrad.conf.dir", dir.toString());
        try {
            return body.call();
        } finally {
            if (before == null) {
                System.clearProperty("sparkgrad.conf.dir");
            } else {
                System.setProperty("sparkgrad.conf.dir", before);
            }
        }
    }

    @Test
    void settingsFileOptionsComeFirstSoTheCommandLineWins(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("linear-regression.properties"), "lr=0.05\nepochs=2\n");
        withConfDir(dir, () -> {
            String[] args = Main.withConfFile("linear-regression", new String[] {"--lr", "0.1"});
            assertArrayEquals(new String[] {"--epochs=2", "--lr=0.05", "--lr", "0.1"}, args);
            SparkLinearRegression.Settings s = SparkLinearRegression.Settings.parse(args);
            assertEquals(0.1, s.lr());
            assertEquals(2, s.epochs());
            assertArrayEquals(new String[] {"--x", "1"}, Main.withConfFile("polynomial", new String[] {"--x", "1"}),
                    "no file, no change");
            return null;
        });
    }

    @Test
    void aBareFlagInASettingsFileIsKeyEqualsTrue(@TempDir Path dir) throws Exception {
        // Before: resume=true became "--resume true", the flag was stripped and 'true' failed the parse.
        Files.writeString(dir.resolve("linear-regression.properties"), "resume=true\ncheckpoint-dir=" + dir + "\n");
        Files.writeString(dir.resolve("line-fit.properties"), "no-spark = true\nepochs=7\n");
        Files.writeString(dir.resolve("synthetic-mlp.properties"), "classify=false\n");
        withConfDir(dir, () -> {
            SparkLinearRegression.Settings lr = SparkLinearRegression.Settings.parse(
                    Main.withConfFile("linear-regression", new String[0]));
            assertTrue(lr.resume());
            assertEquals(dir.toString(), lr.checkpointDir());
            LineFit.Job fit = LineFit.Job.from(LineFit.Job.OPTIONS.parse(Main.withConfFile("line-fit", new String[0])));
            assertTrue(fit.noSpark());
            assertEquals(7, fit.train().epochs());
            SyntheticMlp.Settings mlp = SyntheticMlp.Settings.parse(
                    Main.withConfFile("synthetic-mlp", new String[] {"--classify"}));
            assertTrue(mlp.classify(), "the command line's bare flag wins over the file's false");
            assertFalse(SyntheticMlp.Settings.parse(Main.withConfFile("synthetic-mlp", new String[0])).classify());
            return null;
        });
    }

    @Test
    void everyShippedSettingsFileHoldsItsProgramsDefaults() throws Exception {
        // Each conf/<program>.properties goes through the real parser into the program's settings record,
        // which must equal the record's DEFAULTS: a changed number on either side fails here.
        List<Path> files;
        try (Stream<Path> s = Files.list(CONF)) {
            files = s.filter(p -> p.getFileName().toString().endsWith(".properties")
                    && !p.getFileName().toString().startsWith("log")).sorted().toList();
        }
        List<String> checked = new ArrayList<>();
        for (Path file : files) {
            String name = file.getFileName().toString().replace(".properties", "");
            Main.Program program = Main.PROGRAMS.get(name);
            assertNotNull(program, file + " configures no program; programs: " + Main.PROGRAMS.keySet());
            String[] args = withConfDir(CONF, () -> Main.withConfFile(name, new String[0]));
            assertTrue(args.length > 0, file + " sets something");
            Object parsed = program.settings().apply(program.options().parse(args));
            assertRecordEquals(program.defaults(), parsed, name);
            checked.add(name);
        }
        assertEquals(List.of("line-fit", "linear-regression", "manual-vs-autograd", "synthetic-mlp"), checked);
    }

    @Test
    void everyProgramsDefaultsAreWhatItsOptionsGiveWithNoArguments() {
        for (var e : Main.PROGRAMS.entrySet()) {
            Main.Program p = e.getValue();
            assertRecordEquals(p.defaults(), p.settings().apply(p.options().parse()), e.getKey());
        }
    }

    @Test
    void helpListsEachProgramsOptionsWithTheRecordsDefaults() {
        // Before: "Option --help needs a value".
        String help = mainOutput("linear-regression", "--help");
        assertTrue(help.startsWith("usage: bin/run linear-regression [--option value ...]"), help);
        SparkLinearRegression.Settings d = SparkLinearRegression.Settings.DEFAULTS;
        assertTrue(help.contains("--batch N") && help.contains("(an integer >= 1; default " + d.batch() + ")"), help);
        assertTrue(help.contains("--seed N") && help.contains("(an integer; default " + d.seed() + ")"), help);
        assertTrue(help.contains("--lr X") && help.contains("(a number > 0; default " + d.lr() + ")"), help);
        assertTrue(help.contains("--device auto|cpu|cuda|cuda:N"), help);
        assertTrue(help.lines().anyMatch(l -> l.startsWith("  --resume ")), help);
        assertTrue(help.lines().anyMatch(l -> l.startsWith("  --no-spark ")), help);
        for (var e : Main.PROGRAMS.entrySet()) {
            String h = mainOutput(e.getKey(), "-h");
            for (String option : e.getValue().options().names()) {
                assertTrue(h.contains("  --" + option + " "), e.getKey() + " --help lists --" + option + ":\n" + h);
            }
        }
        String lineFit = mainOutput("line-fit", "--epochs", "5", "--help");
        assertTrue(lineFit.contains("--lr X|auto") && lineFit.contains("auto (adam 0.3, sgd 0.0001) or a number > 0"),
                lineFit);
    }

    /** What Main prints on stdout for args. */
    private static String mainOutput(String... args) {
        PrintStream before = System.out;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        try {
            Main.main(args);
        } finally {
            System.setOut(before);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** Records equal component by component, arrays by content. */
    static void assertRecordEquals(Object want, Object got, String what) {
        assertEquals(want.getClass(), got.getClass(), what);
        for (RecordComponent c : want.getClass().getRecordComponents()) {
            try {
                Object a = c.getAccessor().invoke(want);
                Object b = c.getAccessor().invoke(got);
                assertTrue(Objects.deepEquals(a, b), what + ": " + c.getName() + " is " + show(b) + ", default " + show(a));
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static String show(Object v) {
        return v instanceof int[] a ? java.util.Arrays.toString(a) : String.valueOf(v);
    }
}
